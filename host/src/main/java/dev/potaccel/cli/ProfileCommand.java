package dev.potaccel.cli;

import dev.potaccel.data.InputFileException;
import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.HostGraphExecutor;
import dev.potaccel.device.opencl.CommandTime;
import dev.potaccel.device.opencl.OpenClDevice;
import dev.potaccel.device.opencl.OpenClPackage;
import dev.potaccel.device.opencl.OpenClRun;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.emulator.cost.CostModel;
import dev.potaccel.emulator.cost.CostReport;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PackageFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel profile}: the emulator's cost model for a compiled package on an accelerator
 * description: per-layer cycles (compute- or memory-bound), DMA bytes, buffer traffic, energy,
 * and the resources of the PE array. With {@code --device opencl[:p[:d]]} it runs the package on
 * the OpenCL device instead and prints the measured device time of every command (OpenCL
 * profiling events), the program load time (source build, cache or bitstream) and the transfers.
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

  @Option(names = "--device", paramLabel = "DEVICE", converter = DeviceOptions.Converter.class,
      description = "opencl[:platform[:device]]: measure per-command device times on that"
          + " OpenCL device (random inputs; warm-up run, then --runs runs). Default: the cost"
          + " model's estimate.")
  DeviceSpec device;

  @Option(names = "--runs", paramLabel = "N", defaultValue = "3",
      description = "Measured runs on --device opencl, averaged. Default: ${DEFAULT-VALUE}.")
  int runs;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    if (batch < 1) {
      throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got " + batch);
    }
    AcceleratorPackage pkg = PackageFile.read(model);
    if (device != null) {
      if (device.kind() != DeviceSpec.Kind.OPENCL) {
        throw new ParameterException(spec.commandLine(), "--device " + device + ": profile"
            + " measures OpenCL devices; without --device it estimates with the cost model");
      }
      if (runs < 1) {
        throw new ParameterException(spec.commandLine(), "--runs must be at least 1, got "
            + runs);
      }
      return measure(pkg);
    }
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

  /** Runs the package on the OpenCL device and prints the mean device time per command. */
  private int measure(AcceleratorPackage pkg) {
    PrintWriter out = spec.commandLine().getOut();
    int threads = Runtime.getRuntime().availableProcessors();
    try (OpenClDevice dev = OpenClDevice.open(device.platform(), device.device(),
            OpenClDevice.Options.defaults());
        HostGraphExecutor host = new HostGraphExecutor(pkg, threads);
        OpenClPackage loaded = dev.load(pkg, host)) {
      List<float[]> inputs = new ArrayList<>();
      SplittableRandom random = new SplittableRandom(1);
      for (int i = 0; i < loaded.inputCount(); i++) {
        long per = 1;
        for (int d : loaded.inputShape(i)) {
          per *= d;
        }
        float[] v = new float[(int) (per * batch)];
        for (int j = 0; j < v.length; j++) {
          v[j] = (float) random.nextDouble();
        }
        inputs.add(v);
      }
      loaded.run(batch, inputs); // warm-up: PoCL compiles each kernel's work-group function here
      // the runs back to back, pipelined: each upload overlaps the previous batch's kernels
      long pipelineStart = System.nanoTime();
      List<OpenClRun> measured = loaded.runPipelined(batch, java.util.Collections.nCopies(runs,
          inputs));
      long pipelineNanos = System.nanoTime() - pipelineStart;
      out.printf(Locale.ROOT, "%s on %s '%s' (bitstream %s), batch %d, mean of %d runs%n",
          model, dev.info().spec(), dev.info().deviceName(), dev.manifest().name(), batch, runs);
      out.printf(Locale.ROOT, "load: %s; package loaded in %.1f ms, %d bytes resident,"
              + " %d activation slots%n", loaded.programReport(), loaded.loadNanos() / 1e6,
          loaded.residentBytes(), loaded.slotBytesPerImage().length);
      List<CommandTime> first = measured.get(0).times();
      double total = 0;
      double[] mean = new double[first.size()];
      for (OpenClRun run : measured) {
        for (int i = 0; i < mean.length; i++) {
          mean[i] += run.times().get(i).nanos() / 1e6 / runs;
        }
      }
      for (double m : mean) {
        total += m;
      }
      out.printf(Locale.ROOT, "%4s  %-32s %-9s %-20s %10s %6s%n", "#", "command", "kind",
          "kernel", "ms", "%");
      for (int i = 0; i < mean.length; i++) {
        CommandTime t = first.get(i);
        out.printf(Locale.ROOT, "%4s  %-32s %-9s %-20s %10.3f %5.1f%%%n",
            t.command() < 0 ? "" : Integer.toString(t.command()), clip(t.name(), 32), t.kind(),
            t.kernel(), mean[i], total > 0 ? 100 * mean[i] / total : 0);
      }
      double wall = pipelineNanos / 1e6 / runs;
      out.printf(Locale.ROOT, "total device time %.3f ms (kernels %.3f ms), wall %.3f ms per run,"
              + " %.1f images/s%n", total,
          measured.stream().mapToLong(OpenClRun::kernelNanos).average().orElse(0) / 1e6, wall,
          wall > 0 ? batch * 1000 / wall : 0);
      printTimeline(out, measured);
      out.flush();
    }
    return 0;
  }

  /**
   * One line per batch of the pipelined runs: when its upload (transfer queue), its commands
   * (compute queue) and its download ran, in ms of the device clock from the first upload, and
   * how much of its upload the previous batch's commands hid (ended before they did) and how much
   * ran while they ran.
   */
  private static void printTimeline(PrintWriter out, List<OpenClRun> runs) {
    if (runs.isEmpty()) {
      return;
    }
    long t0 = runs.get(0).timeline().uploadStart();
    out.printf(Locale.ROOT, "timeline (device clock, ms from the first upload; uploads and"
        + " downloads on the transfer queue, commands on the compute queue):%n");
    out.printf(Locale.ROOT, "%6s  %-19s  %-21s  %-21s  %s%n", "batch", "upload", "compute",
        "download", "upload hidden behind the previous batch's compute (during it)");
    long hidden = 0;
    long during = 0;
    long uploads = 0;
    for (int i = 0; i < runs.size(); i++) {
      var t = runs.get(i).timeline();
      String note = "-";
      if (i > 0) {
        var previous = runs.get(i - 1).timeline();
        long h = t.uploadHiddenBehind(previous);
        long d = t.uploadOverlapWith(previous);
        hidden += h;
        during += d;
        uploads += t.uploadNanos();
        note = String.format(Locale.ROOT, "%.3f of %.3f ms (%.3f ms)", h / 1e6,
            t.uploadNanos() / 1e6, d / 1e6);
      }
      out.printf(Locale.ROOT, "%6d  %8.3f-%-9.3f  %9.3f-%-10.3f  %9.3f-%-10.3f  %s%n", i,
          (t.uploadStart() - t0) / 1e6, (t.uploadEnd() - t0) / 1e6,
          (t.computeStart() - t0) / 1e6, (t.computeEnd() - t0) / 1e6,
          (t.downloadStart() - t0) / 1e6, (t.downloadEnd() - t0) / 1e6, note);
    }
    if (runs.size() > 1) {
      out.printf(Locale.ROOT, "overlap: uploads of batches 1..%d: %.3f of %.3f ms hidden behind"
          + " the previous batch's compute, %.3f ms of it while that compute ran%n",
          runs.size() - 1, hidden / 1e6, uploads / 1e6, during / 1e6);
    }
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "~";
  }
}
