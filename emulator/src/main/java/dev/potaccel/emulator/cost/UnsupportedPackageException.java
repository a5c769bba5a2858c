package dev.potaccel.emulator.cost;

import java.util.List;

/**
 * A package the accelerator cannot run (docs/accelerator.md §2, §4.1, §8): weight formats its PEs
 * cannot run (INT8 or LUT codebooks on shift PEs, TERMS codebooks with more terms than the PEs
 * have, levels too wide for a multiplier), or a conv that cannot be tiled for its buffers (one
 * weight tile or one output row larger than the buffer). The message lists every mismatch; {@link
 * #mismatches} has them one by one.
 */
public final class UnsupportedPackageException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient List<String> mismatches;

  public UnsupportedPackageException(String model, AcceleratorDescription d,
      List<String> mismatches) {
    super(message(model, d, mismatches));
    this.mismatches = List.copyOf(mismatches);
  }

  /** One entry per command and codebook that does not fit, e.g. {@code command 1 (conv 'c1'):}. */
  public List<String> mismatches() {
    return mismatches;
  }

  private static String message(String model, AcceleratorDescription d, List<String> mismatches) {
    StringBuilder sb = new StringBuilder()
        .append("package '").append(model).append("' cannot run on accelerator '")
        .append(d.name()).append("' (").append(d.peType())
        .append(d.peType() == PeType.SHIFT_ADD_K ? " PEs, max_terms " + d.maxTerms() : " PEs")
        .append("): ").append(mismatches.size())
        .append(mismatches.size() == 1 ? " mismatch" : " mismatches");
    for (String m : mismatches) {
      sb.append("\n  ").append(m);
    }
    return sb.toString();
  }
}
