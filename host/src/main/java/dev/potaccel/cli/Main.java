package dev.potaccel.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.potaccel.error.PotaccelException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code potaccel} command: parses the command line, sets log levels from {@code -v}, runs
 * the subcommand, and turns what it throws into an {@code error:} line and an exit code. The only
 * place that calls {@link System#exit}.
 */
@Command(name = "potaccel",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {RunCommand.class, EvalCommand.class, CompileCommand.class,
        DevicesCommand.class,
        PlanCommand.class,
        ReportCommand.class,
        ProfileCommand.class, StudyCommand.class},
    description = "CNN inference for power-of-two (shift-based) FPGA accelerators.",
    footer = {"", "Exit codes: 0 ok, 1 internal error, 2 usage error, 3 bad model or input,"
        + " 4 device error."})
public final class Main implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "More log output on stderr: -v info, -vv debug, -vvv Netty's too;"
          + " errors then show their stack trace.")
  boolean[] verbose = new boolean[0];

  @Spec
  CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line: error handling and logging set up, output to System.out/err. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionStrategy(parseResult -> {
      setLogLevels(verbosity(parseResult));
      return new CommandLine.RunLast().execute(parseResult);
    });
    cl.setExecutionExceptionHandler(Main::report);
    return cl;
  }

  /** Without a subcommand there is nothing to do: a usage error. */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing a command ("
        + String.join(", ", spec.commandLine().getSubcommands().keySet()) + ")");
  }

  /** Prints an exception thrown by a command as one line and picks the exit code. */
  private static int report(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    int code;
    if (e instanceof PotaccelException p) {
      err.println("error: " + p.getMessage());
      code = p.kind().exitCode();
    } else {
      err.println("error: internal error: "
          + (e.getMessage() != null ? e.getMessage() : e.getClass().getName()));
      code = 1;
    }
    if (verbosity(parsed) > 0) {
      LOG.error("stack trace of the error above", e);
    } else if (code == 1) {
      err.println("(run again with -v for the stack trace, and report it as a bug)");
    }
    err.flush();
    return code;
  }

  /** How many times -v was given, before or after the subcommand name. */
  static int verbosity(ParseResult parsed) {
    int count = 0;
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("-v")) {
        boolean[] flags = p.matchedOptionValue("-v", new boolean[0]);
        count = Math.max(count, flags.length);
      }
    }
    return count;
  }

  /**
   * WARN for our code and ERROR for Netty by default, INFO with -v, DEBUG with -vv (and Netty's
   * DEBUG with -vvv). Set on
   * Logback directly because levels depend on the command line, read after Logback started.
   */
  static void setLogLevels(int verbosity) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      LOG.warn("logging is not bound to Logback ({}); -v has no effect", factory.getClass());
      return;
    }
    Level ours = verbosity >= 2 ? Level.DEBUG : verbosity == 1 ? Level.INFO : Level.WARN;
    context.getLogger("dev.potaccel").setLevel(ours);
    context.getLogger("io.netty").setLevel(verbosity >= 3 ? Level.DEBUG : Level.ERROR);
    LOG.debug("log level {} for dev.potaccel", ours);
  }

  /** "potaccel 0.1.0" from the version.properties that Maven filters at build time. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return new String[] {"potaccel " + number(),
          "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name")
              + ")"};
    }

    /** "0.1.0": the version compiled packages record as their tool version. */
    static String number() throws IOException {
      Properties p = new Properties();
      try (InputStream in = Main.class.getResourceAsStream("/dev/potaccel/version.properties")) {
        if (in == null) {
          throw new IOException("dev/potaccel/version.properties is missing from the jar");
        }
        p.load(in);
      }
      return p.getProperty("version", "(unknown version)");
    }

    /** {@link #number}, or "(unknown version)" when the jar lacks it. */
    static String numberOrUnknown() {
      try {
        return number();
      } catch (IOException e) {
        LOG.warn("cannot read the potaccel version", e);
        return "(unknown version)";
      }
    }
  }
}
