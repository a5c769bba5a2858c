package dev.potaccel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far a long command has got, on stderr: a live bar when stderr is a terminal, otherwise a
 * short line each time another tenth is done (logs and CI output stay readable), or nothing.
 */
interface ProgressDisplay extends AutoCloseable {

  /** {@code items} more are done. */
  void advance(int items);

  /** Removes the bar; idempotent. */
  @Override
  void close();

  /** Shows nothing (for machine-readable output). */
  static ProgressDisplay none() {
    return new ProgressDisplay() {
      @Override
      public void advance(int items) {}

      @Override
      public void close() {}
    };
  }

  /**
   * A bar on System.err when that is a terminal, else lines on {@code err}.
   *
   * @param task what is being done ("eval")
   * @param unit what is counted, plural ("images")
   */
  static ProgressDisplay onStderr(String task, String unit, long total, PrintWriter err) {
    return Bar.stderrIsTerminal() ? new Bar(task, unit, total)
        : new TenthLines(task, unit, total, err);
  }

  /** The progressbar library's bar, redrawn in place on System.err (the terminal). */
  final class Bar implements ProgressDisplay {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressDisplay.class);
    /** Width when the terminal cannot be asked (stdout redirected): a safe minimum. */
    private static final int FALLBACK_WIDTH = 80;
    private final ProgressBar bar;

    /** Whether the process's stderr is an interactive terminal, where a bar can redraw. */
    static boolean stderrIsTerminal() {
      // Java 17 has no isatty(2); on Linux the fd link says where stderr goes, elsewhere a
      // console (stdin and stdout on a terminal) is the closest guess
      Path fd2 = Path.of("/proc/self/fd/2");
      if (Files.isSymbolicLink(fd2)) {
        try {
          String target = Files.readSymbolicLink(fd2).toString();
          return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException e) {
          LOG.debug("cannot read {}; deciding from System.console()", fd2, e);
        }
      }
      return System.console() != null;
    }

    Bar(String task, String unit, long total) {
      // with stdin and stdout on the terminal the library asks it for its width (through
      // JLine); otherwise asking would print a JLine warning, so use a fixed width
      int width = System.console() != null ? 0 : FALLBACK_WIDTH;
      bar = new ProgressBarBuilder()
          .setTaskName(task)
          .setInitialMax(total)
          .setUnit(" " + unit, 1)
          .showSpeed()
          .setStyle(ProgressBarStyle.ASCII) // no box glyphs: the locale may not be UTF-8
          .setUpdateIntervalMillis(200)
          .setConsumer(new ConsoleProgressBarConsumer(System.err, width))
          .clearDisplayOnFinish()
          .build();
    }

    @Override
    public void advance(int items) {
      bar.stepBy(items);
    }

    @Override
    public void close() {
      bar.close();
    }
  }

  /** "eval: 2048/10000 images (20%)" each time another tenth is done. */
  final class TenthLines implements ProgressDisplay {
    private final String task;
    private final String unit;
    private final long total;
    private final PrintWriter err;
    private final long start = System.nanoTime();
    private long done;
    private int tenthsShown;

    TenthLines(String task, String unit, long total, PrintWriter err) {
      this.task = task;
      this.unit = unit;
      this.total = total;
      this.err = err;
    }

    @Override
    public void advance(int items) {
      done += items;
      int tenths = total == 0 ? 10 : (int) Math.min(10, done * 10 / total);
      if (tenths > tenthsShown) {
        tenthsShown = tenths;
        double seconds = (System.nanoTime() - start) / 1e9;
        err.println(String.format(Locale.ROOT, "%s: %d/%d %s (%d%%), %.0f %s/s", task, done,
            total, unit, total == 0 ? 100 : done * 100 / total, done / seconds, unit));
        err.flush();
      }
    }

    @Override
    public void close() {}
  }
}
