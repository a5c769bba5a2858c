package dev.potaccel.emulator.cost;

/**
 * Energy per operation, in picojoules, for the cost model (docs/accelerator.md §6, §8).
 *
 * <p>{@link #HOROWITZ_45NM} holds the figures of M. Horowitz, "Computing's energy problem (and what
 * we can do about it)", ISSCC 2014, for a 45 nm process at 0.9 V, as reproduced in
 * ../shared/research/quantization.md §6. The shifter figure is not Horowitz data: it is the
 * assumption that an n-bit barrel shifter costs about as much as an n-bit adder.
 *
 * @param source where the figures come from, printed with every report
 * @param processNode the process node they hold for, e.g. {@code "45 nm"}
 * @param add8Pj 8-bit integer add
 * @param add16Pj 16-bit integer add
 * @param add32Pj 32-bit integer add
 * @param mul8Pj 8-bit integer multiply
 * @param mul32Pj 32-bit integer multiply
 * @param sram32Pj one 32-bit SRAM access
 * @param dram32Pj one 32-bit DRAM access
 * @param shift32Pj a shift into a 32-bit accumulator operand (an assumption, see above)
 */
public record EnergyTable(
    String source,
    String processNode,
    double add8Pj,
    double add16Pj,
    double add32Pj,
    double mul8Pj,
    double mul32Pj,
    double sram32Pj,
    double dram32Pj,
    double shift32Pj) {

  /**
   * 45 nm, Horowitz ISSCC 2014: 8-bit add 0.03 pJ, 16-bit add 0.05, 32-bit add 0.1, 8-bit
   * multiply 0.2, 32-bit multiply 3.1, 32-bit SRAM access 5, 32-bit DRAM access 640; shift = 32-bit
   * add (assumption).
   */
  public static final EnergyTable HOROWITZ_45NM =
      new EnergyTable(
          "Horowitz, \"Computing's energy problem\", ISSCC 2014 (45 nm, 0.9 V); "
              + "shift = 32-bit add is an assumption, not Horowitz data",
          "45 nm",
          0.03,
          0.05,
          0.1,
          0.2,
          3.1,
          5.0,
          640.0,
          0.1);

  public EnergyTable {
    if (source == null || source.isBlank() || processNode == null || processNode.isBlank()) {
      throw new IllegalArgumentException("an energy table needs its source and process node");
    }
    double[] all = {add8Pj, add16Pj, add32Pj, mul8Pj, mul32Pj, sram32Pj, dram32Pj, shift32Pj};
    for (double v : all) {
      if (!(v >= 0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException(
            "energy table '" + source + "': every energy must be finite and >= 0, got " + v);
      }
    }
  }

  /**
   * One multiply-accumulate on a PE: MULTIPLIER = 8-bit multiply + 32-bit add; SHIFT = shift +
   * 32-bit add; SHIFT_ADD_K = {@code k} shifts + {@code k} adds ({@code k - 1} to combine the
   * terms, one to accumulate), {@code k} the codebook's max terms (1 for POT).
   */
  public double macPj(PeType type, int k) {
    return switch (type) {
      case MULTIPLIER -> mul8Pj + add32Pj;
      case SHIFT -> shift32Pj + add32Pj;
      case SHIFT_ADD_K -> k * (shift32Pj + add32Pj);
    };
  }

  /** One DRAM byte: a quarter of a 32-bit access. */
  public double dramPjPerByte() {
    return dram32Pj / 4;
  }

  /** One on-chip buffer byte: a quarter of a 32-bit SRAM access. */
  public double sramPjPerByte() {
    return sram32Pj / 4;
  }

  /** One line for reports: node, source and the figures used. */
  public String describe() {
    return processNode
        + ": 8-bit add "
        + AcceleratorDescription.fmt(add8Pj)
        + " pJ, 16-bit add "
        + AcceleratorDescription.fmt(add16Pj)
        + ", 32-bit add "
        + AcceleratorDescription.fmt(add32Pj)
        + ", 8-bit mult "
        + AcceleratorDescription.fmt(mul8Pj)
        + ", 32-bit mult "
        + AcceleratorDescription.fmt(mul32Pj)
        + ", 32-bit SRAM "
        + AcceleratorDescription.fmt(sram32Pj)
        + ", 32-bit DRAM "
        + AcceleratorDescription.fmt(dram32Pj)
        + ", shift "
        + AcceleratorDescription.fmt(shift32Pj)
        + " (source: "
        + source
        + ")";
  }
}
