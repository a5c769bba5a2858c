package dev.potaccel.calibrate;

import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputBatch;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures the range of every FP32 value of a graph on calibration images: runs the CPU reference
 * engine on a copy of the graph whose outputs are the graph input and every FP32 node output, and
 * keeps the largest magnitude and the sign of each, and a bounded random sample of its elements
 * ({@link #SAMPLES_PER_VALUE}) for the rules that fit a distribution.
 */
public final class Calibrator {
  /** The number of calibration images potaccel uses unless told otherwise. */
  public static final int DEFAULT_IMAGES = 256;

  /** The seed that picks them from the training split unless told otherwise. */
  public static final long DEFAULT_SEED = 0;

  /**
   * Elements sampled per value for distribution fits (the GGD activation rule): enough for a
   * fit and an empirical error within a fraction of a dB, small enough for every value of a
   * large network at once (128 KiB each).
   */
  public static final int SAMPLES_PER_VALUE = 1 << 15;

  /** Images per engine run: every intermediate of the batch is held at once. */
  static final int BATCH = 32;

  private Calibrator() {}

  /**
   * Calibrates on training images, normalised by {@code prep}.
   *
   * @param images from {@link FashionMnist#calibration}: the training split only
   * @throws IllegalArgumentException if the images are not from the training split (the test
   *     split measures accuracy and must not shape the quantization)
   */
  public static CalibrationStats collect(Graph g, LabelledImages images, ImagePreprocessing prep,
      int threads, ProgressListener progress) {
    if (images.split() != FashionMnist.Split.TRAIN) {
      throw new IllegalArgumentException("calibration images must come from the training split,"
          + " got the " + images.split().id() + " split of " + images.source());
    }
    List<Tensor> batches = new ArrayList<>();
    for (Iterator<InputBatch> it = images.batches(BATCH, prep); it.hasNext(); ) {
      batches.add(it.next().tensor());
    }
    return collect(g, batches, threads, progress);
  }

  /**
   * Calibrates on FP32 batches for the graph's one input (batch first).
   *
   * @param threads engine threads (0: one per processor)
   * @throws IllegalArgumentException if the graph does not have exactly one input or no batch is
   *     given
   */
  public static CalibrationStats collect(Graph g, List<Tensor> batches, int threads,
      ProgressListener progress) {
    if (g.inputs().size() != 1) {
      throw new IllegalArgumentException(g.source() + ": calibration feeds graphs with one input,"
          + " this one has " + g.inputs().size());
    }
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("no calibration batches");
    }
    String input = g.inputs().get(0).name();
    Graph probed = withEveryValueAsOutput(g);
    MessageDigest sha = sha256();
    Map<String, ValueRange> ranges = new LinkedHashMap<>();
    Map<String, ValueSample> samples = new LinkedHashMap<>();
    long total = 0;
    for (Tensor b : batches) {
      total += b.dim(0);
    }
    int images = 0;
    try (CpuEngine engine = new CpuEngine(probed, threads)) {
      for (Tensor batch : batches) {
        digest(sha, batch.floats());
        Map<String, Tensor> out = engine.run(Map.of(input, batch));
        for (Map.Entry<String, Tensor> e : out.entrySet()) {
          float[] v = e.getValue().floats();
          ranges.merge(e.getKey(), rangeOf(v), ValueRange::union);
          samples.computeIfAbsent(e.getKey(), k -> new ValueSample(SAMPLES_PER_VALUE, k)).add(v);
        }
        images += batch.dim(0);
        progress.progress(images, total);
      }
    }
    Map<String, float[]> kept = new LinkedHashMap<>();
    samples.forEach((k, v) -> kept.put(k, v.values()));
    return new CalibrationStats(ranges, kept, images, HexFormat.of().formatHex(sha.digest()));
  }

  /** The graph with its input and every FP32 node output as outputs (original outputs first). */
  static Graph withEveryValueAsOutput(Graph g) {
    Map<String, ValueInfo> outputs = new LinkedHashMap<>();
    for (ValueInfo o : g.outputs()) {
      outputs.put(o.name(), o);
    }
    for (ValueInfo in : g.inputs()) {
      if (in.type().dtype() == DataType.FLOAT) {
        outputs.putIfAbsent(in.name(), in);
      }
    }
    for (Node n : g.nodes()) {
      for (String o : n.outputs()) {
        TensorType t = g.typeOf(o);
        if (!o.isEmpty() && t != null && t.dtype() == DataType.FLOAT) {
          outputs.putIfAbsent(o, new ValueInfo(o, t));
        }
      }
    }
    return new Graph(g.name(), g.source(), g.opset(), g.inputs(), List.copyOf(outputs.values()),
        g.initializers(), g.nodes(), g.valueTypes());
  }

  static ValueRange rangeOf(float[] v) {
    double max = 0;
    boolean nonNegative = true;
    for (float x : v) {
      if (x < 0) {
        nonNegative = false;
      }
      double a = Math.abs(x);
      if (a > max && !Double.isInfinite(a)) {
        max = a;
      }
    }
    return new ValueRange(max, nonNegative);
  }

  private static void digest(MessageDigest sha, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      if (!b.hasRemaining()) {
        sha.update(b.array(), 0, b.position());
        b.clear();
      }
      b.putFloat(v);
    }
    sha.update(b.array(), 0, b.position());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
