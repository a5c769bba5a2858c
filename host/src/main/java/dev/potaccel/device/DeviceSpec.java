package dev.potaccel.device;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which device a command runs on, as written on the command line: {@code cpu} (the FP32 reference
 * engine), {@code emulator} (the bit-exact accelerator emulator, running compiled packages) or
 * {@code opencl[:platform[:device]]} (the accelerator kernels on an OpenCL device, indices as
 * {@code potaccel devices} lists them, 0:0 by default). A new kind joins the {@link Kind} enum, so
 * the parse and its error message grow in one place.
 *
 * @param platform OpenCL platform index, 0 for devices without one
 * @param device OpenCL device index on the platform, 0 for devices without one
 */
public record DeviceSpec(Kind kind, int platform, int device) {

  /** The devices potaccel can run on. */
  public enum Kind {
    CPU("cpu", false),
    EMULATOR("emulator", false),
    OPENCL("opencl", true);

    private final String id;
    private final boolean indexed;

    Kind(String id, boolean indexed) {
      this.id = id;
      this.indexed = indexed;
    }

    public String id() {
      return id;
    }

    /** How the command line writes this kind, with its optional indices. */
    public String syntax() {
      return indexed ? id + "[:platform[:device]]" : id;
    }
  }

  public DeviceSpec {
    if (platform < 0 || device < 0) {
      throw new IllegalArgumentException("negative index in " + kind.id + ":" + platform + ":"
          + device);
    }
    if (!kind.indexed && (platform != 0 || device != 0)) {
      throw new IllegalArgumentException(kind.id + " takes no platform or device index");
    }
  }

  public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, 0, 0);
  public static final DeviceSpec EMULATOR = new DeviceSpec(Kind.EMULATOR, 0, 0);

  /** Every accepted form, for help and error messages: "cpu, emulator". */
  public static String validDevices() {
    return Arrays.stream(Kind.values()).map(Kind::syntax).collect(Collectors.joining(", "));
  }

  /**
   * Parses "cpu", "emulator", "opencl", "opencl:1", "opencl:1:0".
   *
   * @throws IllegalArgumentException naming the valid devices when {@code text} is none of them
   */
  public static DeviceSpec parse(String text) {
    String[] parts = text.strip().toLowerCase(Locale.ROOT).split(":", -1);
    Kind kind = Arrays.stream(Kind.values())
        .filter(k -> k.id.equals(parts[0]))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown device '" + text
            + "'; valid devices: " + validDevices()));
    if (parts.length > (kind.indexed ? 3 : 1)) {
      throw new IllegalArgumentException("device '" + text + "': " + kind.id
          + (kind.indexed ? " takes at most a platform and a device index" : " takes no index")
          + "; valid devices: " + validDevices());
    }
    int platform = parts.length > 1 ? index(parts[1], "platform", text) : 0;
    int device = parts.length > 2 ? index(parts[2], "device", text) : 0;
    return new DeviceSpec(kind, platform, device);
  }

  private static int index(String part, String what, String text) {
    try {
      int i = Integer.parseInt(part);
      if (i >= 0) {
        return i;
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("device '" + text + "': " + what + " index '" + part
          + "' is not a non-negative integer", e);
    }
    throw new IllegalArgumentException("device '" + text + "': " + what + " index '" + part
        + "' is not a non-negative integer");
  }

  /** The command-line form: "cpu", "opencl:0:1". */
  @Override
  public String toString() {
    return kind.indexed ? kind.id + ":" + platform + ":" + device : kind.id;
  }
}
