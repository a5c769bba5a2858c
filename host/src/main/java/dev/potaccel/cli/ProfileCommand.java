package dev.potaccel.cli;

import dev.potaccel.data.InputFileException;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.emulator.cost.CostModel;
import dev.potaccel.emulator.cost.CostReport;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PackageFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel profile}: the emulator's cost model for a compiled package on an accelerator
 * description: per-layer cycles (compute- or memory-bound), DMA bytes, buffer traffic, energy,
 * and the resources of the PE array.
 */
@Command(name = "profile",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Estimate per-layer cycles, DMA bytes, energy and resources of a compiled"
        + " package (.potpkg) on an accelerator description (cost model of docs/accelerator.md"
        + " §8)."})
final class ProfileCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "MODEL.potpkg", required = true,
      description = "Compiled package (potaccel compile writes one).")
  Path model;

  @Option(names = "--batch", paramLabel = "B", defaultValue = "1",
      description = "Images per run. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--accelerator", paramLabel = "FILE",
      description = "Accelerator description, 'key = value' lines (keys: pe_rows, pe_cols,"
          + " pe_type, max_terms, clock_mhz, weight_buffer, activation_buffer,"
          + " accumulator_buffer, dma_bytes_per_cycle, burst_bytes). Default: a 16x16 shift PE"
          + " array at 200 MHz tiled as the package is, with the buffers it was compiled for.")
  Path accelerator;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    if (batch < 1) {
      throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got " + batch);
    }
    AcceleratorPackage pkg = PackageFile.read(model);
    AcceleratorDescription d = AcceleratorDescription.defaultFor(pkg);
    if (accelerator != null) {
      d = AcceleratorFile.read(accelerator, d);
    }
    CostReport report;
    try {
      report = CostModel.estimate(pkg, d, batch);
    } catch (IllegalArgumentException e) {
      // the package needs PE features the description lacks: a user input mismatch
      throw new InputFileException(model + ": " + e.getMessage(), e);
    }
    spec.commandLine().getOut().print(report.toTable());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
