package dev.potaccel.cli;

import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.data.InputFileException;
import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.device.opencl.OpenClDevice;
import dev.potaccel.device.opencl.OpenClSession;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model opened on a device for any number of runs: a batch for its one input in, its first
 * output out. The one place the CLI chooses an engine by {@link DeviceSpec.Kind}, so a new kind
 * of device is added here and every command gets it: {@code cpu} runs an ONNX graph on the FP32
 * engine; {@code emulator} runs a compiled package, compiling an ONNX model in memory first with
 * the default scheme ({@link ModelCompilation#forEmulator}); {@code opencl} runs the same package
 * on the accelerator kernels of an OpenCL device ({@link OpenClSession}).
 */
final class ModelSession implements AutoCloseable {
  private final LoadedModel model;
  private final CpuEngine engine;
  private final EmulatorSession emulator;
  private final OpenClSession opencl;

  private ModelSession(LoadedModel model, CpuEngine engine, EmulatorSession emulator,
      OpenClSession opencl) {
    this.model = model;
    this.engine = engine;
    this.emulator = emulator;
    this.opencl = opencl;
  }

  /**
   * @param threads worker threads for engines that run on the host CPU, and the emulator's
   * @param trainingData where an ONNX model run on the emulator finds its calibration images
   *     (the Fashion-MNIST training split)
   */
  static ModelSession open(LoadedModel model, DeviceSpec device, int threads,
      Path trainingData) {
    return switch (device.kind()) {
      case CPU -> {
        if (model.isPackage()) {
          throw new InputFileException(model.name() + ": is a compiled accelerator package;"
              + " run it with --device emulator, or give the ONNX model to run on the CPU");
        }
        yield new ModelSession(model, new CpuEngine(model.graph(), threads), null, null);
      }
      case EMULATOR -> {
        AcceleratorPackage pkg = model.isPackage() ? model.pkg()
            : ModelCompilation.forEmulator(model, trainingData, threads).pkg();
        yield new ModelSession(model, null, EmulatorSession.open(pkg, threads), null);
      }
      case OPENCL -> {
        AcceleratorPackage pkg = model.isPackage() ? model.pkg()
            : ModelCompilation.forEmulator(model, trainingData, threads).pkg();
        yield new ModelSession(model, null, null, OpenClSession.open(pkg, device.platform(),
            device.device(), threads, OpenClDevice.Options.defaults()));
      }
    };
  }

  /** Runs one batch; returns the model's first output (class scores, batch first, FP32). */
  Tensor run(Tensor batch) {
    if (emulator != null) {
      return emulator.run(batch);
    }
    if (opencl != null) {
      return opencl.run(batch);
    }
    Map<String, Tensor> out = engine.run(Map.of(model.input().name(), batch));
    return out.get(model.output().name());
  }

  @Override
  public void close() {
    if (engine != null) {
      engine.close();
    }
    if (emulator != null) {
      emulator.close();
    }
    if (opencl != null) {
      opencl.close();
    }
  }
}
