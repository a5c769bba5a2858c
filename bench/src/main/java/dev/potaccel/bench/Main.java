package dev.potaccel.bench;

import dev.potaccel.error.PotaccelException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Entry point of {@code potaccel-bench.jar}, which the {@code potaccel} launcher runs for
 * {@code potaccel bench ...}. A leading {@code bench} is dropped (the launcher passes it on);
 * {@code jmh [JMH options]} hands over to JMH's own command line for the kernel
 * microbenchmarks; anything else is the {@link BenchCommand}. The only place that exits.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    String[] rest = args.length > 0 && args[0].equals("bench")
        ? Arrays.copyOfRange(args, 1, args.length) : args;
    if (rest.length > 0 && rest[0].equals("jmh")) {
      try {
        org.openjdk.jmh.Main.main(Arrays.copyOfRange(rest, 1, rest.length));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    System.exit(commandLine(new BenchCommand()).execute(rest));
  }

  /** The bench command line with error reporting, output to System.out/err. */
  static CommandLine commandLine(BenchCommand command) {
    CommandLine cl = new CommandLine(command);
    cl.setExecutionExceptionHandler(Main::report);
    return cl;
  }

  /** One {@code error:} line and an exit code; the stack trace with {@code -v}. */
  private static int report(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    int code;
    if (e instanceof PotaccelException p) {
      err.println("error: " + p.getMessage());
      code = p.kind().exitCode();
    } else if (e instanceof BackendException) {
      err.println("error: " + e.getMessage());
      code = 4;
    } else {
      err.println("error: internal error: "
          + (e.getMessage() != null ? e.getMessage() : e.getClass().getName()));
      code = 1;
    }
    if (parsed.hasMatchedOption("-v")) {
      LoggerFactory.getLogger(Main.class).error("stack trace of the error above", e);
    } else if (code == 1) {
      err.println("(run again with -v for the stack trace, and report it as a bug)");
    }
    err.flush();
    return code;
  }
}
