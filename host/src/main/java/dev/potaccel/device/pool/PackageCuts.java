package dev.potaccel.device.pool;

import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Command;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run holds between two commands of a package, read from the package itself, so that the
 * pool can tell a stage that returned the wrong buffers (a device fault) from a good one without
 * asking another device. Also builds the buffers before the first command and reads the model
 * outputs after the last.
 */
final class PackageCuts {
  private final AcceleratorPackage pkg;
  private final int[] firstWrite;
  private final int[] lastRead;
  private final long[] perImage;

  PackageCuts(AcceleratorPackage pkg) {
    this.pkg = pkg;
    int buffers = pkg.getBuffersCount();
    firstWrite = new int[buffers];
    lastRead = new int[buffers];
    perImage = new long[buffers];
    Arrays.fill(firstWrite, Integer.MAX_VALUE);
    Arrays.fill(lastRead, -1);
    for (int b : pkg.getInputBuffersList()) {
      firstWrite[b] = -1;
    }
    for (int i = 0; i < pkg.getCommandsCount(); i++) {
      Command c = pkg.getCommands(i);
      for (int r : reads(c)) {
        lastRead[r] = i;
      }
      for (int w : writes(c)) {
        firstWrite[w] = Math.min(firstWrite[w], i);
      }
    }
    for (int b : pkg.getOutputBuffersList()) {
      lastRead[b] = Integer.MAX_VALUE;
    }
    for (int b = 0; b < buffers; b++) {
      long n = 1;
      for (int d : pkg.getBuffers(b).getShapeList()) {
        n *= d;
      }
      perImage[b] = n;
    }
  }

  private static List<Integer> reads(Command c) {
    return switch (c.getOpCase()) {
      case CONV -> List.of(c.getConv().getInput());
      case POOL -> List.of(c.getPool().getInput());
      case ADD -> List.of(c.getAdd().getInputA(), c.getAdd().getInputB());
      case RESHAPE -> List.of(c.getReshape().getInput());
      case CONVERT -> List.of(c.getConvert().getInput());
      case HOST -> c.getHost().getInputsList();
      case OP_NOT_SET -> List.of();
    };
  }

  private static List<Integer> writes(Command c) {
    return switch (c.getOpCase()) {
      case CONV -> List.of(c.getConv().getOutput());
      case POOL -> List.of(c.getPool().getOutput());
      case ADD -> List.of(c.getAdd().getOutput());
      case RESHAPE -> List.of(c.getReshape().getOutput());
      case CONVERT -> List.of(c.getConvert().getOutput());
      case HOST -> c.getHost().getOutputsList();
      case OP_NOT_SET -> List.of();
    };
  }

  /** The buffers live before command {@code at}, as {@code Emulator.liveBuffers} counts them. */
  int[] live(int at) {
    List<Integer> out = new ArrayList<>();
    for (int b = 0; b < firstWrite.length; b++) {
      if (firstWrite[b] < at && lastRead[b] >= at) {
        out.add(b);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The model inputs of a batch as the buffers before command 0 (shared, not copied). */
  LiveBuffers start(List<float[]> inputs, int batch) {
    var floats = new HashMap<Integer, float[]>();
    for (int i = 0; i < pkg.getInputBuffersCount(); i++) {
      floats.put(pkg.getInputBuffers(i), inputs.get(i));
    }
    return new LiveBuffers(0, batch, Map.of(), floats);
  }

  /** The model outputs of buffers after the last command, batch first. */
  List<Tensor> outputs(LiveBuffers end) {
    List<Tensor> out = new ArrayList<>();
    for (int b : pkg.getOutputBuffersList()) {
      Buffer info = pkg.getBuffers(b);
      int[] shape = new int[info.getShapeCount() + 1];
      shape[0] = end.batch();
      for (int d = 0; d < info.getShapeCount(); d++) {
        shape[d + 1] = info.getShape(d);
      }
      out.add(Tensor.ofFloats(shape, end.floats().get(b)));
    }
    return out;
  }

  /**
   * Why {@code got}, returned by a stage asked to run up to command {@code to} on {@code batch}
   * images, is not what such a stage returns; null if it is.
   */
  String mismatch(LiveBuffers got, int to, int batch) {
    if (got == null) {
      return "returned nothing";
    }
    if (got.at() != to || got.batch() != batch) {
      return "returned the buffers before command " + got.at() + " for batch " + got.batch()
          + ", asked for command " + to + ", batch " + batch;
    }
    int[] live = live(to);
    if (live.length != got.codes().size() + got.floats().size()) {
      return "returned buffers " + got.codes().keySet() + " (codes) and " + got.floats().keySet()
          + " (FP32), expected " + Arrays.toString(live);
    }
    for (int b : live) {
      boolean isFloat = pkg.getBuffers(b).getIsFloat();
      long length = isFloat
          ? (got.floats().containsKey(b) ? got.floats().get(b).length : -1)
          : (got.codes().containsKey(b) ? got.codes().get(b).length : -1);
      if (length != batch * perImage[b]) {
        return "returned " + (length < 0 ? "no" : length + " values for") + " buffer " + b + " '"
            + pkg.getBuffers(b).getName() + "', expected " + batch * perImage[b];
      }
    }
    return null;
  }
}
