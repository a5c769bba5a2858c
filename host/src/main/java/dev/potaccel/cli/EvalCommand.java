package dev.potaccel.cli;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputBatch;
import dev.potaccel.data.InputFiles;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
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
 * {@code potaccel eval}: runs the Fashion-MNIST test split through a model batch by batch and
 * prints top-1 and top-5 accuracy, throughput and the confusion matrix (or one JSON object). The
 * test split only: calibration data comes from the training split elsewhere.
 */
@Command(name = "eval",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Measure a model's accuracy on the Fashion-MNIST test set: top-1, top-5,"
        + " images/s and the confusion matrix.",
        "With no --data, reads /usr/share/datasets/fashion-mnist (apt-get install "
            + FashionMnist.DEBIAN_PACKAGE + ") if present, else the 1000 test images bundled"
            + " in the jar."})
final class EvalCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(EvalCommand.class);
  private static final Gson GSON = new Gson();

  @Option(names = "--model", paramLabel = "MODEL",
      description = "ONNX model (.onnx) or compiled package (.potpkg, for --device emulator or"
          + " opencl);"
          + " class names and normalisation come from MODEL.json beside it when present."
          + " Default: the bundled " + BundledDemo.MODEL + ".")
  Path model;

  @Mixin
  DeviceOptions deviceOptions;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Directory with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
          + " (gzipped or not). Default: /usr/share/datasets/fashion-mnist if present, else"
          + " the bundled sample.")
  Path data;

  @Option(names = "--limit", paramLabel = "N",
      description = "Evaluate only the first N test images. Default: all.")
  Integer limit;

  @Option(names = "--batch", paramLabel = "B", defaultValue = "256",
      description = "Images per engine run. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--json",
      description = "Print one JSON object on stdout instead of the table; no progress.")
  boolean json;

  @Spec
  CommandSpec spec;

  /** Where the dataset is looked for without --data; tests point it elsewhere. */
  Path installedData = FashionMnist.DEBIAN_DIR;

  @Override
  public Integer call() {
    if (batch < 1) {
      throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got "
          + batch);
    }
    if (limit != null && limit < 1) {
      throw new ParameterException(spec.commandLine(), "--limit must be at least 1, got "
          + limit);
    }
    int threads = deviceOptions.threadCount();
    PrintWriter err = spec.commandLine().getErr();

    FashionMnist dataset = data != null ? FashionMnist.directory(data)
        : FashionMnist.installedOrBundled(installedData);
    LabelledImages test = limit != null ? dataset.test(limit) : dataset.test();
    err.println("data: Fashion-MNIST test split, " + dataset.description()
        + (dataset.isBundledSample() ? "; for all 10000 test images: apt-get install "
            + FashionMnist.DEBIAN_PACKAGE : ""));
    err.flush();

    LoadedModel m = model != null ? LoadedModel.read(model) : BundledDemo.model();
    String modelName = model != null ? model.toString() : m.name() + " (bundled)";
    List<String> classes = FashionMnist.CLASSES;
    if (!m.metadata().classes().isEmpty() && !m.metadata().classes().equals(classes)) {
      LOG.warn("{}: metadata classes {} differ from Fashion-MNIST's {}; scoring by index",
          m.name(), m.metadata().classes(), classes);
    }
    ImagePreprocessing prep = ImagePreprocessing.forModel(m.input().type(), m.metadata(),
        m.name());
    int batchSize = batchSizeFor(m.input().type());

    AccuracyTally tally = new AccuracyTally(classes.size(),
        m.name() + " output '" + m.output().name() + "'");
    long start;
    long end;
    try (ModelSession session = ModelSession.open(m, deviceOptions.device, threads,
            data != null ? data : installedData);
        ProgressDisplay progress = json ? ProgressDisplay.none()
            : ProgressDisplay.onStderr("eval", "images", test.size(), err)) {
      start = System.nanoTime();
      for (Iterator<InputBatch> it = test.batches(batchSize, prep); it.hasNext(); ) {
        InputBatch b = it.next();
        Tensor input = InputFiles.fit(b.tensor(), b.source(), m.input(), m.name());
        tally.add(session.run(input), b.labels());
        progress.advance(b.size());
      }
      end = System.nanoTime();
    }
    Accuracy acc = tally.result();
    double seconds = (end - start) / 1e9;
    Run run = new Run(modelName, dataset.description(), threads, batchSize, acc, seconds);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(GSON.toJson(toJson(run, m, classes)));
    } else {
      printTable(out, run, m, classes);
    }
    out.flush();
    return 0;
  }

  /** What was measured, for printing. */
  private record Run(String model, String data, int threads, int batch, Accuracy accuracy,
      double seconds) {
    double imagesPerSecond() {
      return seconds > 0 ? accuracy.images() / seconds : 0;
    }
  }

  /** --batch, unless the model fixes its batch dimension: then that. */
  private int batchSizeFor(TensorType input) {
    if (input.hasRank() && input.rank() >= 1 && input.dim(0) > 0 && input.dim(0) != batch) {
      LOG.info("model input {} fixes the batch size: running batches of {}, not {}", input,
          input.dim(0), batch);
      return input.dim(0);
    }
    return batch;
  }

  private JsonObject toJson(Run run, LoadedModel m, List<String> classes) {
    Accuracy acc = run.accuracy();
    JsonObject o = new JsonObject();
    o.addProperty("model", run.model());
    o.addProperty("device", deviceOptions.device.toString());
    o.addProperty("threads", run.threads());
    o.addProperty("data", run.data());
    o.addProperty("split", "test");
    o.addProperty("images", acc.images());
    o.addProperty("batch", run.batch());
    o.addProperty("top1", acc.top1());
    o.addProperty("top5", acc.top5());
    o.addProperty("top1_hits", acc.top1Hits());
    o.addProperty("top5_hits", acc.top5Hits());
    if (m.metadata().fp32Top1().isPresent()) {
      o.addProperty("reference_fp32_top1", m.metadata().fp32Top1().getAsDouble());
    }
    o.addProperty("seconds", Math.round(run.seconds() * 1000) / 1000.0);
    o.addProperty("images_per_s", Math.round(run.imagesPerSecond() * 10) / 10.0);
    JsonArray names = new JsonArray();
    classes.forEach(names::add);
    o.add("classes", names);
    JsonArray confusion = new JsonArray();
    for (int[] row : acc.confusion()) {
      JsonArray r = new JsonArray();
      for (int count : row) {
        r.add(count);
      }
      confusion.add(r);
    }
    o.add("confusion", confusion);
    return o;
  }

  private void printTable(PrintWriter out, Run run, LoadedModel m, List<String> classes) {
    Accuracy acc = run.accuracy();
    String reference = m.metadata().fp32Top1().isPresent()
        ? String.format(Locale.ROOT, "; PyTorch FP32 on the 10000 test images: %.2f%%",
            100 * m.metadata().fp32Top1().getAsDouble())
        : "";
    out.println("model     " + run.model());
    out.println("device    " + deviceOptions.device + ", " + run.threads() + " threads, batch "
        + run.batch());
    out.println("data      Fashion-MNIST test split, " + run.data());
    out.println("images    " + acc.images());
    out.println(String.format(Locale.ROOT, "top-1     %.2f%% (%d/%d%s)", 100 * acc.top1(),
        acc.top1Hits(), acc.images(), reference));
    out.println(String.format(Locale.ROOT, "top-5     %.2f%% (%d/%d)", 100 * acc.top5(),
        acc.top5Hits(), acc.images()));
    out.println(String.format(Locale.ROOT, "images/s  %.0f (%.2f s)", run.imagesPerSecond(),
        run.seconds()));
    out.println();
    out.println("confusion matrix: rows true class, columns predicted class");
    printConfusion(out, acc.confusion(), classes);
  }

  /** Rows "3 Dress  12  0 ...", columns headed by class index (names would not fit). */
  static void printConfusion(PrintWriter out, int[][] confusion, List<String> classes) {
    int labelWidth = 0;
    int max = 0;
    for (int c = 0; c < confusion.length; c++) {
      labelWidth = Math.max(labelWidth, rowLabel(c, classes).length());
      for (int count : confusion[c]) {
        max = Math.max(max, count);
      }
    }
    int cell = Math.max(Integer.toString(max).length(),
        Integer.toString(confusion.length - 1).length()) + 2;
    StringBuilder header = new StringBuilder(" ".repeat(labelWidth));
    for (int c = 0; c < confusion.length; c++) {
      header.append(String.format(Locale.ROOT, "%" + cell + "d", c));
    }
    out.println(header);
    for (int t = 0; t < confusion.length; t++) {
      String label = rowLabel(t, classes);
      StringBuilder line = new StringBuilder(label).append(" ".repeat(labelWidth - label.length()));
      for (int count : confusion[t]) {
        line.append(String.format(Locale.ROOT, "%" + cell + "d", count));
      }
      out.println(line);
    }
  }

  private static String rowLabel(int c, List<String> classes) {
    return c + " " + (c < classes.size() ? classes.get(c) : "class " + c);
  }
}
