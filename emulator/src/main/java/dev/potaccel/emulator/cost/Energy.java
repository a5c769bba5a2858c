package dev.potaccel.emulator.cost;

/**
 * Energy of a command or a whole run, in picojoules, split by where it is spent.
 *
 * @param computePj PE multiply-accumulates (and the pooling/add lanes' element operations)
 * @param sramPj on-chip buffer traffic
 * @param dramPj DRAM traffic (DMA in and out)
 */
public record Energy(double computePj, double sramPj, double dramPj) {
  public static final Energy ZERO = new Energy(0, 0, 0);

  public double totalPj() {
    return computePj + sramPj + dramPj;
  }

  /** Microjoules. */
  public double totalUj() {
    return totalPj() * 1e-6;
  }

  public Energy plus(Energy o) {
    return new Energy(computePj + o.computePj, sramPj + o.sramPj, dramPj + o.dramPj);
  }
}
