/**
 * The analytic cost model of docs/accelerator.md §6 and §8: {@link
 * dev.potaccel.emulator.cost.CostModel#estimate} takes a package, an {@link
 * dev.potaccel.emulator.cost.AcceleratorDescription} (PE array, PE type, clock, buffers, DMA) and
 * a batch, and returns a {@link dev.potaccel.emulator.cost.CostReport}: per command cycles
 * (compute- or memory-bound), DMA bytes, on-chip buffer traffic and energy from an {@link
 * dev.potaccel.emulator.cost.EnergyTable} (45 nm, Horowitz ISSCC 2014), plus the array's
 * resources. With a {@link dev.potaccel.emulator.cost.HostModel}, CONVERT and HOST commands are
 * charged their bytes on the host link and their host CPU time at a stated {@link
 * dev.potaccel.emulator.cost.HostSpeed} (docs/partitioning.md). Nothing is executed; the figures
 * depend only on shapes, formats, the description and the host speed.
 */
package dev.potaccel.emulator.cost;
