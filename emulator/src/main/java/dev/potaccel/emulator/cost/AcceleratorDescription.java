package dev.potaccel.emulator.cost;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.WeightFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The accelerator a cost estimate is for: the manifest inputs of docs/accelerator.md §6 (model in
 * §8).
 *
 * <p>The PE array is {@code peRows × peCols}: columns are output channels (the weight layout's
 * {@code P_out}, §4), rows are output pixels. Buffers are on-chip SRAM in bytes. DMA moves {@code
 * dmaBytesPerCycle} bytes per accelerator clock between DRAM and the buffers, reads and writes
 * sharing it.
 *
 * @param name a label for reports
 * @param peRows output pixels in parallel, 1..4096
 * @param peCols output channels in parallel ({@code P_out}), 1..4096
 * @param peType the processing element
 * @param maxTerms PoT terms per weight: 1 for MULTIPLIER and SHIFT, 2..3 for SHIFT_ADD_K
 * @param clockMhz accelerator clock, > 0
 * @param weightBufferBytes on-chip weight buffer, >= 1
 * @param activationBufferBytes on-chip activation buffer (a layer's input and output tiles), >= 1
 * @param accumulatorBufferBytes int32 accumulator drain and bias buffer, >= 4 · peRows · peCols
 * @param dmaBytesPerCycle DRAM bandwidth per accelerator clock, > 0
 * @param burstBytes DMA burst, the weight tile alignment of §4, >= 1
 */
public record AcceleratorDescription(
    String name,
    int peRows,
    int peCols,
    PeType peType,
    int maxTerms,
    double clockMhz,
    long weightBufferBytes,
    long activationBufferBytes,
    long accumulatorBufferBytes,
    double dmaBytesPerCycle,
    int burstBytes) {

  /** The largest PE array dimension accepted. */
  public static final int MAX_PE_DIM = 4096;

  /**
   * The default: a 16x16 array of SHIFT PEs at 200 MHz, 256 KiB weight and 256 KiB activation
   * buffers, 16 KiB of accumulators, 16 B/cycle DMA (3.2 GB/s, a 128-bit AXI port at the clock),
   * 64-byte bursts (the contract's default, with {@code P_out = 16} as {@code
   * WeightTiling.DEFAULT}).
   */
  public static final AcceleratorDescription DEFAULT =
      new AcceleratorDescription(
          "default", 16, 16, PeType.SHIFT, 1, 200.0, 256 * 1024, 256 * 1024, 16 * 1024, 16.0, 64);

  /** The keys of the text format, in {@link #toText} order. */
  public static final List<String> KEYS =
      List.of(
          "name",
          "pe_rows",
          "pe_cols",
          "pe_type",
          "max_terms",
          "clock_mhz",
          "weight_buffer",
          "activation_buffer",
          "accumulator_buffer",
          "dma_bytes_per_cycle",
          "burst_bytes");

  public AcceleratorDescription {
    List<String> problems = new ArrayList<>();
    if (name == null || name.isBlank()) {
      problems.add("name must not be blank");
    }
    if (peRows < 1 || peRows > MAX_PE_DIM) {
      problems.add("pe_rows must be 1.." + MAX_PE_DIM + ", got " + peRows);
    }
    if (peCols < 1 || peCols > MAX_PE_DIM) {
      problems.add("pe_cols must be 1.." + MAX_PE_DIM + ", got " + peCols);
    }
    if (peType == null) {
      problems.add("pe_type must be given");
    } else if (peType == PeType.SHIFT_ADD_K) {
      if (maxTerms < 2 || maxTerms > 3) {
        problems.add(
            "max_terms must be 2..3 for shift_add_k PEs (k <= 3, docs/accelerator.md §2; use shift"
                + " for one term), got "
                + maxTerms);
      }
    } else if (maxTerms != 1) {
      problems.add("max_terms must be 1 for " + peType.key() + " PEs, got " + maxTerms);
    }
    if (!(clockMhz > 0) || Double.isInfinite(clockMhz)) {
      problems.add("clock_mhz must be a finite number > 0, got " + clockMhz);
    }
    if (weightBufferBytes < 1) {
      problems.add("weight_buffer must be >= 1 byte, got " + weightBufferBytes);
    }
    if (activationBufferBytes < 1) {
      problems.add("activation_buffer must be >= 1 byte, got " + activationBufferBytes);
    }
    long accumulators = 4L * Math.max(peRows, 1) * Math.max(peCols, 1);
    if (accumulatorBufferBytes < accumulators) {
      problems.add(
          "accumulator_buffer must hold one int32 per PE ("
              + accumulators
              + " bytes), got "
              + accumulatorBufferBytes);
    }
    if (!(dmaBytesPerCycle > 0) || Double.isInfinite(dmaBytesPerCycle)) {
      problems.add("dma_bytes_per_cycle must be a finite number > 0, got " + dmaBytesPerCycle);
    }
    if (burstBytes < 1) {
      problems.add("burst_bytes must be >= 1, got " + burstBytes);
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "accelerator description" + (name == null ? "" : " '" + name + "'") + ": "
              + String.join("; ", problems));
    }
  }

  /** PEs in the array. */
  public int pes() {
    return peRows * peCols;
  }

  /** One line for reports: {@code 'default': 16x16 SHIFT PEs, 200 MHz, ...}. */
  public String summary() {
    return "'"
        + name
        + "': "
        + peRows
        + "x"
        + peCols
        + " "
        + peType
        + (peType == PeType.SHIFT_ADD_K ? " (k <= " + maxTerms + ")" : "")
        + " PEs, "
        + fmt(clockMhz)
        + " MHz, buffers: weights "
        + size(weightBufferBytes)
        + ", activations "
        + size(activationBufferBytes)
        + ", accumulators "
        + size(accumulatorBufferBytes)
        + "; DMA "
        + fmt(dmaBytesPerCycle)
        + " B/cycle, "
        + burstBytes
        + " B bursts";
  }

  /** The text format of {@link #parse}, one {@code key = value} line per field. */
  public String toText() {
    return "name = "
        + name
        + "\npe_rows = "
        + peRows
        + "\npe_cols = "
        + peCols
        + "\npe_type = "
        + peType.key()
        + "\nmax_terms = "
        + maxTerms
        + "\nclock_mhz = "
        + fmt(clockMhz)
        + "\nweight_buffer = "
        + size(weightBufferBytes)
        + "\nactivation_buffer = "
        + size(activationBufferBytes)
        + "\naccumulator_buffer = "
        + size(accumulatorBufferBytes)
        + "\ndma_bytes_per_cycle = "
        + fmt(dmaBytesPerCycle)
        + "\nburst_bytes = "
        + burstBytes
        + "\n";
  }

  /** {@link #parse(String, AcceleratorDescription)} over {@link #DEFAULT}. */
  public static AcceleratorDescription parse(String text) {
    return parse(text, DEFAULT);
  }

  /**
   * Reads {@code key = value} entries, separated by newlines or commas, over {@code base}: keys not
   * given keep its values. {@code #} starts a comment; keys are case-insensitive and may use
   * {@code -} for {@code _}. Sizes are bytes with an optional {@code KiB} or {@code MiB} suffix.
   * Keys: {@link #KEYS}; {@code pe_type} is {@code multiplier}, {@code shift} or {@code
   * shift_add_k}. Example: {@code "pe_type = multiplier, clock_mhz = 150, weight_buffer = 128KiB"}.
   *
   * @throws IllegalArgumentException naming the entry at fault, or the fields the record refuses
   */
  public static AcceleratorDescription parse(String text, AcceleratorDescription base) {
    Map<String, String> values = new LinkedHashMap<>();
    int lineNo = 0;
    for (String line : text.split("\r?\n|\r", -1)) {
      lineNo++;
      int hash = line.indexOf('#');
      String content = hash >= 0 ? line.substring(0, hash) : line;
      for (String entry : content.split(",")) {
        if (entry.isBlank()) {
          continue;
        }
        int eq = entry.indexOf('=');
        if (eq < 0) {
          throw new IllegalArgumentException(
              "accelerator description line " + lineNo + ": '" + entry.trim()
                  + "' is not key = value");
        }
        String key = entry.substring(0, eq).trim().toLowerCase(Locale.ROOT).replace('-', '_');
        String value = entry.substring(eq + 1).trim();
        if (!KEYS.contains(key)) {
          throw new IllegalArgumentException(
              "accelerator description line " + lineNo + ": unknown key '" + key
                  + "'; known keys: " + String.join(", ", KEYS));
        }
        if (value.isEmpty()) {
          throw new IllegalArgumentException(
              "accelerator description line " + lineNo + ": " + key + " has no value");
        }
        if (values.put(key, value) != null) {
          throw new IllegalArgumentException(
              "accelerator description line " + lineNo + ": " + key + " given twice");
        }
      }
    }
    return new AcceleratorDescription(
        values.getOrDefault("name", base.name),
        intValue(values, "pe_rows", base.peRows),
        intValue(values, "pe_cols", base.peCols),
        values.containsKey("pe_type") ? PeType.parse(values.get("pe_type")) : base.peType,
        intValue(values, "max_terms", base.maxTerms),
        doubleValue(values, "clock_mhz", base.clockMhz),
        sizeValue(values, "weight_buffer", base.weightBufferBytes),
        sizeValue(values, "activation_buffer", base.activationBufferBytes),
        sizeValue(values, "accumulator_buffer", base.accumulatorBufferBytes),
        doubleValue(values, "dma_bytes_per_cycle", base.dmaBytesPerCycle),
        intValue(values, "burst_bytes", base.burstBytes));
  }

  /**
   * {@link #DEFAULT} fitted to a package: {@code pe_cols} and {@code burst_bytes} from its
   * requirements (the tiling its weights were packed with), the weight and activation buffers its
   * tile schedules were made for when the requirements name them, and the simplest PE type that
   * runs all its codebooks: MULTIPLIER if any is INT8 or LUT, else SHIFT_ADD_K if any TERMS
   * codebook has {@code k > 1}, else SHIFT. What {@code potaccel profile} uses when no description
   * is given.
   */
  public static AcceleratorDescription defaultFor(AcceleratorPackage pkg) {
    PeType type = PeType.SHIFT;
    int k = 1;
    for (Command c : pkg.getCommandsList()) {
      if (!c.hasConv() || c.getConv().getCodebook() >= pkg.getCodebooksCount()) {
        continue;
      }
      Codebook cb = pkg.getCodebooks(c.getConv().getCodebook());
      WeightFormat f = cb.getFormat();
      if (f == WeightFormat.INT8 || f == WeightFormat.LUT) {
        type = PeType.MULTIPLIER;
      } else if (f == WeightFormat.TERMS && cb.getMaxTerms() > 1) {
        k = Math.max(k, Math.min(cb.getMaxTerms(), 3));
      }
    }
    if (type != PeType.MULTIPLIER && k > 1) {
      type = PeType.SHIFT_ADD_K;
    }
    int peOut = pkg.getRequirements().getPeOut();
    int burst = pkg.getRequirements().getBurstBytes();
    // the buffers the package's tile schedules were made for, so its own schedules are costed
    long weightBuffer = pkg.getRequirements().getWeightBufferBytes();
    long activationBuffer = pkg.getRequirements().getActivationBufferBytes();
    AcceleratorDescription d = DEFAULT;
    return new AcceleratorDescription(
        d.name,
        d.peRows,
        peOut >= 1 && peOut <= MAX_PE_DIM ? peOut : d.peCols,
        type,
        type == PeType.SHIFT_ADD_K ? k : 1,
        d.clockMhz,
        weightBuffer > 0 ? weightBuffer : d.weightBufferBytes,
        activationBuffer > 0 ? activationBuffer : d.activationBufferBytes,
        Math.max(d.accumulatorBufferBytes, 4L * d.peRows * Math.max(peOut, 1)),
        d.dmaBytesPerCycle,
        burst >= 1 ? burst : d.burstBytes);
  }

  private static int intValue(Map<String, String> values, String key, int fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "accelerator description: " + key + " must be an integer, got '" + v + "'");
    }
  }

  private static double doubleValue(Map<String, String> values, String key, double fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "accelerator description: " + key + " must be a number, got '" + v + "'");
    }
  }

  private static long sizeValue(Map<String, String> values, String key, long fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    String s = v.replace(" ", "");
    long unit = 1;
    String lower = s.toLowerCase(Locale.ROOT);
    if (lower.endsWith("kib")) {
      unit = 1024;
      s = s.substring(0, s.length() - 3);
    } else if (lower.endsWith("mib")) {
      unit = 1024 * 1024;
      s = s.substring(0, s.length() - 3);
    } else if (lower.endsWith("b")) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      return Math.multiplyExact(Long.parseLong(s), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "accelerator description: "
              + key
              + " must be a size in bytes (optionally with KiB or MiB), got '"
              + v
              + "'");
    }
  }

  /** {@code 256KiB}, {@code 1MiB} or plain bytes. */
  static String size(long bytes) {
    if (bytes % (1024 * 1024) == 0) {
      return bytes / (1024 * 1024) + "MiB";
    }
    if (bytes % 1024 == 0) {
      return bytes / 1024 + "KiB";
    }
    return Long.toString(bytes);
  }

  /** A double without a trailing {@code .0}. */
  static String fmt(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }
}
