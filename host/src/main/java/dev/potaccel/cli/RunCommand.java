package dev.potaccel.cli;

import dev.potaccel.cli.ClassRanking.ClassScore;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.InputBatch;
import dev.potaccel.data.InputFileException;
import dev.potaccel.data.InputFiles;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.data.NpyWriter;
import dev.potaccel.graph.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel run}: classifies a batch of images with a model and prints the top-k classes
 * of each on stdout. Without {@code --model} and {@code --input} it runs the bundled LeNet-5 on
 * the bundled Fashion-MNIST sample and prints the accuracy against the known labels.
 */
@Command(name = "run",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Classify images with a model and print the top-k classes of each.",
        "With no --model and no --input, runs the bundled LeNet-5 (Fashion-MNIST) on 8 bundled"
            + " test images."})
final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Option(names = "--model", paramLabel = "MODEL",
      description = "ONNX model (.onnx) or compiled package (.potpkg, for --device emulator or"
          + " opencl);"
          + " class names and normalisation come from MODEL.json beside it when present."
          + " Default: the bundled " + BundledDemo.MODEL + ".")
  Path model;

  @Mixin
  DeviceOptions deviceOptions;

  @Option(names = "--input", paramLabel = "FILE|DIR",
      description = "Input batch: .npy (float32, or f8/u1/i4/i8 converted), .pb (ONNX"
          + " TensorProto), a .png/.jpg picture, or a directory of pictures. A FILE.labels.txt"
          + " beside a .npy/.pb gives true classes. Default: the bundled "
          + BundledDemo.SAMPLE + ".npy.")
  Path input;

  @Option(names = "--output", paramLabel = "OUT.npy",
      description = "Also write the model's first output, raw, as float32 .npy (on the"
          + " emulator: the dequantized outputs).")
  Path output;

  @Option(names = "--top-k", paramLabel = "K", defaultValue = "3",
      description = "Classes to print per image. Default: ${DEFAULT-VALUE}.")
  int topK;

  @Spec
  CommandSpec spec;

  /**
   * Where {@code --device emulator} finds calibration images (the training split) to compile an
   * ONNX model in memory; tests point it elsewhere.
   */
  Path installedData = FashionMnist.DEBIAN_DIR;

  @Override
  public Integer call() {
    if (topK < 1) {
      throw new ParameterException(spec.commandLine(), "--top-k must be at least 1, got " + topK);
    }
    int threadCount = deviceOptions.threadCount();

    LoadedModel m = model != null ? LoadedModel.read(model) : BundledDemo.model();
    InputBatch batch = input != null
        ? InputFiles.read(input, m.input(), m.metadata(), m.name())
        : BundledDemo.sample(m);
    LOG.info("{}: input {} from {}", m.name(), Arrays.toString(batch.tensor().shape()),
        batch.source());

    long start = System.nanoTime();
    Tensor scores;
    try (ModelSession session = ModelSession.open(m, deviceOptions.device, threadCount,
        installedData)) {
      scores = session.run(batch.tensor());
    }
    LOG.info("{} images on {} ({} threads) in {} ms", batch.size(), deviceOptions.device, threadCount,
        (System.nanoTime() - start) / 1_000_000);

    if (output != null) {
      NpyWriter.write(output, scores);
      LOG.info("wrote {} {} to {}", m.output().name(), Arrays.toString(scores.shape()), output);
    }
    printPredictions(spec.commandLine().getOut(), m, batch, scores);
    return 0;
  }

  /** One line per image (its top-k classes with probabilities), then accuracy if labels known. */
  private void printPredictions(PrintWriter out, LoadedModel m, InputBatch batch, Tensor scores) {
    int n = batch.size();
    boolean onePerImage = scores.rank() >= 1 && scores.dim(0) == n;
    if (!onePerImage && !(n == 1 && scores.size() > 0)) {
      throw new InputFileException(m.name() + ": output '" + m.output().name() + "' has shape "
          + Arrays.toString(scores.shape()) + ", not one row of class scores per input image ("
          + n + ")");
    }
    int classes = scores.size() / n;
    ModelMetadata meta = m.metadata();
    int nameWidth = batch.itemNames().stream().mapToInt(String::length).max().orElse(0);
    int classWidth = 0;
    for (int c = 0; c < classes; c++) {
      classWidth = Math.max(classWidth, meta.className(c).length());
    }
    int correct = 0;
    for (int i = 0; i < n; i++) {
      float[] row = new float[classes];
      for (int c = 0; c < classes; c++) {
        row[c] = (float) scores.getDouble(i * classes + c);
      }
      List<ClassScore> top = ClassRanking.topK(row, topK);
      StringBuilder line = new StringBuilder(pad(batch.itemNames().get(i), nameWidth));
      for (ClassScore s : top) {
        line.append("  ").append(pad(meta.className(s.classIndex()), classWidth))
            .append(String.format(Locale.ROOT, " %.4f", s.probability()));
      }
      if (batch.hasLabels()) {
        int truth = batch.labels().get(i);
        boolean hit = top.get(0).classIndex() == truth;
        correct += hit ? 1 : 0;
        line.append("  [true: ").append(meta.className(truth)).append(hit ? "]" : ", missed]");
      }
      out.println(line.toString().stripTrailing());
    }
    if (batch.hasLabels()) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
          "top-1 accuracy: %d/%d (%.1f%%)", correct, n, 100.0 * correct / n));
      if (meta.fp32Top1().isPresent()) {
        line.append(String.format(Locale.ROOT, "; %s FP32 top-1 on the full test set: %.2f%%",
            meta.name().isEmpty() ? m.name() : meta.name(), 100 * meta.fp32Top1().getAsDouble()));
      }
      out.println(line);
    }
    out.flush();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
