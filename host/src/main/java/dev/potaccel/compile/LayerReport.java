package dev.potaccel.compile;

import java.util.Locale;

/**
 * One command of a compiled package, for the table {@code potaccel compile} prints.
 *
 * @param command the command's index in the package
 * @param name the ONNX node(s) it implements (for a CONVERT: the value it converts)
 * @param operation what it does ("conv 5x5 1->6 +relu", "host Softmax")
 * @param placement where it runs
 * @param weightBits code width of its weights, 0 without weights
 * @param weights how many weights (0 without)
 * @param packedBytes bytes its weights take in the package's weight blob
 * @param tiles output-channel tiles its weights are packed in (0 without weights)
 * @param split how its tile schedule cuts it to fit the target's buffers ("2 weight passes of 3
 *     tiles", "bands of 4 output rows"); empty when the whole layer and whole images fit
 */
public record LayerReport(int command, String name, String operation, Placement placement,
    int weightBits, long weights, long packedBytes, int tiles, String split) {

  /** Where a command runs. */
  public enum Placement {
    /** An accelerator command on codes (CONV, POOL, ADD, and RESHAPE views, which are free). */
    ACCELERATOR,
    /** FP32 nodes on the host CPU engine (HOST). */
    HOST,
    /** A CONVERT between FP32 and codes at a host/accelerator boundary. */
    BOUNDARY;

    /** "accelerator", "host", "boundary". */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public boolean onHost() {
    return placement == Placement.HOST;
  }

  /** {@code weightBits · weights / 8}: the bytes with no tiling or alignment. */
  public double idealBytes() {
    return weightBits * (double) weights / 8;
  }

  /**
   * {@code packedBytes - idealBytes}: the gaps that align each tile to the burst (with a tile's
   * unused bits in its last byte). Nothing else: the last tile holds no padding channels.
   */
  public double alignmentBytes() {
    return packedBytes - idealBytes();
  }

  /** Whether its tile schedule cuts it into weight passes or row bands. */
  public boolean isSplit() {
    return !split.isEmpty();
  }
}
