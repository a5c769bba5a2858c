package dev.potaccel.protocol.pkg;

import java.util.Arrays;
import java.util.Objects;

/**
 * When each buffer of a package holds data in a run: written first by command {@code
 * firstWrite[b]} (-1 for a model input) and read last by command {@code lastRead[b]} ({@link
 * Integer#MAX_VALUE} for a model output, -1 for never). Every device that stops and resumes a run
 * at a cut between two commands (a pipeline stage) hands over exactly {@link #liveAt}, so they
 * must all agree on it: this is the one definition.
 *
 * @param commandCount commands in the package
 */
public record BufferLifetimes(int commandCount, int[] firstWrite, int[] lastRead) {
  public BufferLifetimes {
    firstWrite = firstWrite.clone();
    lastRead = lastRead.clone();
  }

  /** The lifetimes in a package {@link PackageValidator} accepted (indices are not re-checked). */
  public static BufferLifetimes of(AcceleratorPackage pkg) {
    Objects.requireNonNull(pkg, "pkg");
    int buffers = pkg.getBuffersCount();
    int[] first = new int[buffers];
    int[] last = new int[buffers];
    Arrays.fill(first, Integer.MAX_VALUE);
    Arrays.fill(last, -1);
    for (int b : pkg.getInputBuffersList()) {
      first[b] = -1;
    }
    for (int i = 0; i < pkg.getCommandsCount(); i++) {
      Command c = pkg.getCommands(i);
      for (int r : reads(c)) {
        last[r] = i;
      }
      for (int w : writes(c)) {
        first[w] = Math.min(first[w], i);
      }
    }
    for (int b : pkg.getOutputBuffersList()) {
      last[b] = Integer.MAX_VALUE;
    }
    return new BufferLifetimes(pkg.getCommandsCount(), first, last);
  }

  /**
   * The buffers held at cut {@code at}, that is before command {@code at} ({@code commandCount}:
   * after the last): each a model input or written before the cut, and read from the cut on or a
   * model output. Ascending.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= at <= commandCount}
   */
  public int[] liveAt(int at) {
    Objects.checkIndex(at, commandCount + 1);
    int count = 0;
    int[] live = new int[firstWrite.length];
    for (int b = 0; b < firstWrite.length; b++) {
      if (firstWrite[b] < at && lastRead[b] >= at) {
        live[count++] = b;
      }
    }
    return Arrays.copyOf(live, count);
  }

  /** The buffers command {@code c} reads, in its operand order. */
  public static int[] reads(Command c) {
    return switch (c.getOpCase()) {
      case CONV -> new int[] {c.getConv().getInput()};
      case POOL -> new int[] {c.getPool().getInput()};
      case ADD -> new int[] {c.getAdd().getInputA(), c.getAdd().getInputB()};
      case RESHAPE -> new int[] {c.getReshape().getInput()};
      case CONVERT -> new int[] {c.getConvert().getInput()};
      case HOST -> c.getHost().getInputsList().stream().mapToInt(Integer::intValue).toArray();
      case OP_NOT_SET -> new int[0];
    };
  }

  /** The buffers command {@code c} writes. */
  public static int[] writes(Command c) {
    return switch (c.getOpCase()) {
      case CONV -> new int[] {c.getConv().getOutput()};
      case POOL -> new int[] {c.getPool().getOutput()};
      case ADD -> new int[] {c.getAdd().getOutput()};
      case RESHAPE -> new int[] {c.getReshape().getOutput()};
      case CONVERT -> new int[] {c.getConvert().getOutput()};
      case HOST -> c.getHost().getOutputsList().stream().mapToInt(Integer::intValue).toArray();
      case OP_NOT_SET -> new int[0];
    };
  }
}
