package dev.potaccel.serve;

import dev.potaccel.error.PotaccelException;
import java.io.PrintWriter;
import java.util.Arrays;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Entry point of {@code potaccel-server.jar}, which the {@code potaccel} launcher runs for
 * {@code potaccel serve ...} ({@link ServeCommand}) and {@code potaccel serve load ...} ({@link
 * LoadCommand}); a leading {@code serve} is dropped. The only place that exits.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    String[] rest = args.length > 0 && args[0].equals("serve")
        ? Arrays.copyOfRange(args, 1, args.length) : args;
    // `serve load ...` is the load test; anything else is the server's own options
    boolean load = rest.length > 0 && rest[0].equals("load");
    CommandLine cl = new CommandLine(load ? new LoadCommand() : new ServeCommand());
    cl.setExecutionExceptionHandler(Main::report);
    System.exit(cl.execute(load ? Arrays.copyOfRange(rest, 1, rest.length) : rest));
  }

  /** One {@code error:} line and an exit code; the stack trace with {@code -v}. */
  private static int report(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    int code;
    if (e instanceof PotaccelException p) {
      err.println("error: " + p.getMessage());
      code = p.kind().exitCode();
    } else if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
      err.println("error: " + e.getMessage());
      code = 3;
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
