package dev.potaccel.emulator.cost;

import java.util.Map;
import java.util.Objects;

/**
 * The host side of an estimate: how fast the host is, how much work each HOST command does, and
 * which side converts between FP32 and codes.
 *
 * @param speed the host CPU's speed and its source
 * @param work the work per image of HOST commands, by command index; a command without an entry
 *     is charged only the FP32 bytes of its input and output buffers (its FLOPs unknown), with a
 *     note saying so
 * @param conversion where CONVERT commands run
 */
public record HostModel(HostSpeed speed, Map<Integer, HostWork> work, Conversion conversion) {

  /** Where a package's CONVERT commands run, which decides what crosses the host link. */
  public enum Conversion {
    /**
     * On the host, as docs/accelerator.md §3.4 specifies and the emulator runs it: the host
     * quantizes and dequantizes, and codes (one byte per value) cross the link at each CONVERT.
     */
    ON_HOST,
    /**
     * On the device, as kernels-cl's quantize and dequantize kernels do: FP32 values (four bytes
     * each) cross the link at the model's inputs and outputs and around each HOST command, and a
     * CONVERT runs on the requantizer lanes.
     */
    ON_DEVICE
  }

  /** {@link HostSpeed#DEFAULT}, no counted host work, conversion on the host. */
  public static final HostModel DEFAULT = new HostModel(HostSpeed.DEFAULT, Map.of(),
      Conversion.ON_HOST);

  public HostModel {
    Objects.requireNonNull(speed, "speed");
    Objects.requireNonNull(conversion, "conversion");
    work = Map.copyOf(work);
  }
}
