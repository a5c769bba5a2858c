package dev.potaccel.bench;

import dev.potaccel.data.InputFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code potaccel bench standin resnet20 -o FILE}: writes an untrained stand-in model. */
@Command(name = "standin",
    description = {"Writes an untrained model (random weights) with the graph of a reference"
        + " model, to benchmark before the trained file exists. Its outputs mean nothing."})
final class StandInCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME", completionCandidates = Names.class,
      description = "Which model: ${COMPLETION-CANDIDATES}.")
  String name;

  @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.onnx",
      description = "Where to write the model.")
  Path out;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
      description = "Weight seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    byte[] bytes;
    try {
      bytes = StandInModels.build(name, seed).toByteArray();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    try {
      if (out.toAbsolutePath().getParent() != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
      }
      Files.write(out, bytes);
    } catch (IOException e) {
      throw InputFileException.io(out, e);
    }
    spec.commandLine().getOut().printf("wrote %s: %s stand-in, random weights (seed %d),"
        + " %d bytes%n", out, name, seed, bytes.length);
    spec.commandLine().getOut().flush();
    return 0;
  }

  static final class Names implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return List.of(StandInModels.NAMES).iterator();
    }
  }
}
