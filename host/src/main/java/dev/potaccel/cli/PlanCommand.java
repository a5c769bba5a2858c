package dev.potaccel.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.InputFileException;
import dev.potaccel.device.DeviceSpec;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.emulator.cost.CostModel;
import dev.potaccel.emulator.cost.CostReport;
import dev.potaccel.emulator.cost.EnergyTable;
import dev.potaccel.emulator.cost.HostModel;
import dev.potaccel.emulator.cost.HostSpeed;
import dev.potaccel.emulator.cost.HostWork;
import dev.potaccel.partition.CpuPlan;
import dev.potaccel.partition.HostTiming;
import dev.potaccel.partition.HostWorkCount;
import dev.potaccel.partition.PartitionPlan;
import dev.potaccel.partition.PlanReport;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel plan}: how a model is split between the accelerator and the host CPU, and what
 * each part costs. An ONNX model is compiled in memory with the default scheme as {@code --device
 * emulator} does; a {@code .potpkg} is read. The package is cut into segments ({@link
 * PartitionPlan}) and estimated with the cost model, whose host side charges every boundary
 * transfer and the host's CPU time at a speed measured here by timing the CPU engine on the host
 * segments ({@link HostTiming}), or the documented default with {@code --no-measure}. The output
 * names the speed's source.
 */
@Command(name = "plan",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Show how a model is partitioned between the accelerator and the host CPU:"
        + " segments, the device of each, their ops, the bytes crossing the host link, the"
        + " estimated cycles and latency of each part including host time, and why each host"
        + " segment is on the host (docs/partitioning.md)."})
final class PlanCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "MODEL", required = true,
      description = "An ONNX model (compiled in memory with the default scheme, int8, calibrated"
          + " on 256 Fashion-MNIST training images) or a compiled package (.potpkg).")
  Path model;

  @Option(names = "--devices", paramLabel = "LIST", defaultValue = "emulator",
      description = "Comma-separated targets, each one plan: emulator (the accelerator as the"
          + " contract describes it: the host converts, codes cross the link), opencl (the"
          + " kernels-cl kernels: the device converts, FP32 crosses the link), cpu (the whole"
          + " ONNX model on the FP32 engine). Default: ${DEFAULT-VALUE}.")
  String devices;

  @Option(names = "--batch", paramLabel = "B", defaultValue = "1",
      description = "Images per run. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--accelerator", paramLabel = "FILE",
      description = "Accelerator description, 'key = value' lines as for profile. Default: a"
          + " 16x16 shift PE array at 200 MHz with 16 B/cycle of DMA, tiled as the package is.")
  Path accelerator;

  @Option(names = "--no-measure",
      description = "Do not time this host: charge host work at the documented default speed"
          + " (0.2 GFLOP/s, 0.5 GB/s; docs/partitioning.md) instead of timing the CPU engine on"
          + " the host segments.")
  boolean noMeasure;

  @Option(names = "--json", description = "Print the plans as JSON instead of tables.")
  boolean json;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Fashion-MNIST training split for calibrating an ONNX model. Default:"
          + " /usr/share/datasets/fashion-mnist, else the bundled calibration images.")
  Path data;

  @Option(names = "--threads", paramLabel = "N",
      description = "CPU threads for calibration and the CPU engine. Default: all available"
          + " processors.")
  Integer threads;

  @Spec
  CommandSpec spec;

  /** Where the dataset is looked for without --data; tests point it elsewhere. */
  Path installedData = FashionMnist.DEBIAN_DIR;

  @Override
  public Integer call() {
    if (batch < 1) {
      throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got " + batch);
    }
    int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (threadCount < 1) {
      throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got "
          + threadCount);
    }
    List<DeviceSpec> targets = parseDevices();
    LoadedModel m = LoadedModel.read(model);
    String name = m.isPackage() && !m.pkg().getProvenance().getModelName().isEmpty()
        ? m.pkg().getProvenance().getModelName() : ModelCompilation.modelName(m);
    AcceleratorPackage pkg = null;
    HostTiming.Measurement measured = null;
    List<Object> plans = new ArrayList<>();
    for (DeviceSpec target : targets) {
      if (target.kind() == DeviceSpec.Kind.CPU) {
        plans.add(cpuPlan(m, name, threadCount));
        continue;
      }
      if (pkg == null) {
        pkg = m.isPackage() ? m.pkg()
            : ModelCompilation.forEmulator(m, data != null ? data : installedData, threadCount)
                .pkg();
      }
      Map<Integer, HostWork> work = HostWorkCount.ofPackage(pkg);
      if (measured == null && !noMeasure) {
        measured = HostTiming.ofPackage(pkg, work, batch, threadCount);
      }
      HostSpeed speed = noMeasure ? HostSpeed.DEFAULT : measured.speed();
      HostModel host = new HostModel(speed, work, target.kind() == DeviceSpec.Kind.OPENCL
          ? HostModel.Conversion.ON_DEVICE : HostModel.Conversion.ON_HOST);
      plans.add(new PlanReport(target.toString(), PartitionPlan.of(pkg),
          estimate(pkg, host), noMeasure ? Map.of() : measured.hostCommandUs()));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      JsonArray array = new JsonArray();
      for (Object p : plans) {
        array.add(p instanceof PlanReport r ? r.toJson() : ((CpuPlan) p).toJson());
      }
      JsonObject o = new JsonObject();
      o.add("plans", array);
      out.println(new GsonBuilder().setPrettyPrinting().create().toJson(o));
    } else {
      for (int i = 0; i < plans.size(); i++) {
        Object p = plans.get(i);
        out.print(i > 0 ? "\n" : "");
        out.print(p instanceof PlanReport r ? r.toTable() : ((CpuPlan) p).toTable());
      }
    }
    out.flush();
    return 0;
  }

  /** The --devices list, each once, in order; a bad entry is a usage error naming it. */
  private List<DeviceSpec> parseDevices() {
    Set<DeviceSpec> out = new LinkedHashSet<>();
    for (String part : devices.split(",", -1)) {
      if (part.isBlank()) {
        throw new ParameterException(spec.commandLine(), "--devices '" + devices + "' has an"
            + " empty entry; give a comma-separated list of: " + DeviceSpec.validDevices());
      }
      try {
        out.add(DeviceSpec.parse(part));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--devices: " + e.getMessage(), e, null,
            part);
      }
    }
    return List.copyOf(out);
  }

  private CostReport estimate(AcceleratorPackage pkg, HostModel host) {
    AcceleratorDescription d = AcceleratorDescription.defaultFor(pkg);
    if (accelerator != null) {
      d = AcceleratorFile.read(accelerator, d);
    }
    try {
      return CostModel.estimate(pkg, d, batch, EnergyTable.HOROWITZ_45NM, host);
    } catch (IllegalArgumentException e) {
      // the package needs PE features the description lacks: a user input mismatch
      throw new InputFileException(model + ": " + e.getMessage(), e);
    }
  }

  private CpuPlan cpuPlan(LoadedModel m, String name, int threadCount) {
    if (m.isPackage()) {
      throw new InputFileException(m.name() + ": is a compiled accelerator package; the cpu"
          + " device runs the ONNX model itself: give the .onnx file, or plan the package with"
          + " --devices emulator or opencl");
    }
    HostWork work = HostWorkCount.ofGraph(m.graph());
    if (noMeasure) {
      return CpuPlan.of(name, m.graph(), HostSpeed.DEFAULT, batch, Double.NaN);
    }
    HostTiming.Measurement t = HostTiming.ofGraph(m.graph(), work, batch, threadCount);
    return CpuPlan.of(name, m.graph(), t.speed(), batch, t.hostCommandUs().get(0));
  }
}
