package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.InputFileException;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class MainTest {
  @Test
  void helpListsTheRunCommandAndExitCodes() {
    CliRun r = CliRun.of("--help");
    assertEquals(0, r.exitCode(), r.transcript());
    assertTrue(r.out().contains("Usage: potaccel"), r.transcript());
    assertTrue(r.out().contains("run"), r.transcript());
    assertTrue(r.out().contains("--verbose"), r.transcript());
    assertTrue(r.out().contains("3 bad model or input"), r.transcript());
  }

  @Test
  void versionComesFromTheFilteredProperties() {
    CliRun r = CliRun.of("--version");
    assertEquals(0, r.exitCode(), r.transcript());
    assertTrue(r.out().matches("(?s)potaccel \\d+\\.\\d+\\.\\d+.*"), r.transcript());
    assertTrue(!r.out().contains("${"), "unfiltered: " + r.out());
  }

  @Test
  void noCommandIsAUsageError() {
    CliRun r = CliRun.of();
    assertEquals(2, r.exitCode(), r.transcript());
    assertTrue(r.err().contains("missing a command"), r.transcript());
  }

  @Test
  void unknownOptionIsAUsageError() {
    CliRun r = CliRun.of("run", "--frobnicate");
    assertEquals(2, r.exitCode(), r.transcript());
    assertTrue(r.err().contains("Unknown option: '--frobnicate'"), r.transcript());
  }

  @Test
  void verboseFlagsAreCountedBeforeAndAfterTheCommand() {
    CommandLine cl = Main.commandLine();
    assertEquals(2, Main.verbosity(cl.parseArgs("-vv", "run")));
    cl = Main.commandLine();
    assertEquals(1, Main.verbosity(cl.parseArgs("run", "-v")));
    cl = Main.commandLine();
    assertEquals(0, Main.verbosity(cl.parseArgs("run")));
  }

  @Test
  void potaccelExceptionPrintsOneLineAndItsExitCode() {
    CommandLine cl = Main.commandLine();
    cl.addSubcommand("fail", new Throwing(new InputFileException("x.npy: broken")));
    CliRun r = CliRun.of(cl, "fail");
    assertEquals(3, r.exitCode(), r.transcript());
    assertEquals("error: x.npy: broken", r.err().strip());
    assertEquals("", r.out());
  }

  @Test
  void otherExceptionsAreInternalErrorsWithExit1() {
    CommandLine cl = Main.commandLine();
    cl.addSubcommand("bug", new Throwing(new IllegalStateException("slot 3 is empty")));
    CliRun r = CliRun.of(cl, "bug");
    assertEquals(1, r.exitCode(), r.transcript());
    assertTrue(r.err().startsWith("error: internal error: slot 3 is empty"), r.transcript());
    assertTrue(!r.err().contains("\tat "), "stack trace without -v: " + r.transcript());
  }

  @Command(name = "throwing")
  static final class Throwing implements Callable<Integer> {
    private final RuntimeException e;

    Throwing(RuntimeException e) {
      this.e = e;
    }

    @Override
    public Integer call() {
      throw e;
    }
  }
}
