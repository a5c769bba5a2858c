package dev.potaccel.cli;

import dev.potaccel.device.DeviceSpec;
import java.util.Arrays;
import java.util.Iterator;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code --device} and {@code --threads} options, mixed into every command that runs a model
 * so they parse, validate and read the same everywhere.
 */
final class DeviceOptions {
  @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "emulator",
      converter = Converter.class, completionCandidates = Candidates.class,
      description = "Where to run: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  DeviceSpec device;

  @Option(names = "--threads", paramLabel = "N",
      description = "CPU threads for the engine. Default: all available processors.")
  Integer threads;

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  /** The --threads value, or one per available processor; below 1 is a usage error. */
  int threadCount() {
    int count = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (count < 1) {
      throw new ParameterException(mixee.commandLine(),
          "--threads must be at least 1, got " + count);
    }
    return count;
  }

  /** The device forms help lists, from {@link DeviceSpec.Kind} so they cannot drift. */
  static final class Candidates implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Arrays.asList(DeviceSpec.validDevices().split(", ")).iterator();
    }
  }

  /** Picocli's hook for {@link DeviceSpec#parse}: a bad device is a usage error (exit 2). */
  static final class Converter implements ITypeConverter<DeviceSpec> {
    @Override
    public DeviceSpec convert(String value) {
      try {
        return DeviceSpec.parse(value);
      } catch (IllegalArgumentException e) {
        // picocli prints this message after "Invalid value for option '--device': "
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
