/**
 * Partitioning, as a view of a compiled package: an {@code AcceleratorPackage} → a {@link
 * dev.potaccel.partition.PartitionPlan} of segments (maximal runs of accelerator commands, and the
 * host segments the CPU engine runs) with the values that cross the host link between them;
 * {@link dev.potaccel.partition.HostWorkCount} counts the FLOPs and bytes of host work from the
 * package's host graph; {@link dev.potaccel.partition.HostTiming} measures this host's speed by
 * timing the CPU engine on those segments; {@link dev.potaccel.partition.PlanReport} joins a plan
 * with the cost model's estimate into what {@code potaccel plan} prints. Works on any package,
 * compiled in memory or read from a {@code .potpkg}. A host graph that is not valid ONNX raises
 * {@code PackageFormatException} naming the package.
 */
package dev.potaccel.partition;
