package dev.potaccel.emulator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The result of one {@link Emulator#run}: the model outputs in FP32 (one per package {@code
 * output_buffers} entry, in that order) with their shapes (batch first), and, when the run was
 * asked to keep them, every code buffer of the run (indexed like the package's {@code buffers},
 * NCHW, one byte per code as docs/accelerator.md §1.1 stores it; {@code null} at float buffers)
 * so other devices can be compared bit for bit.
 *
 * <p>Arrays are handed over, not copied: a run result owns them.
 */
public record EmulatorRun(int batch, List<float[]> outputs, List<int[]> outputShapes,
    List<byte[]> codes) {
  public EmulatorRun {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }
    Objects.requireNonNull(outputs, "outputs");
    Objects.requireNonNull(outputShapes, "outputShapes");
    Objects.requireNonNull(codes, "codes");
    if (outputs.size() != outputShapes.size()) {
      throw new IllegalArgumentException(outputs.size() + " outputs but " + outputShapes.size()
          + " output shapes");
    }
    for (int i = 0; i < outputs.size(); i++) {
      long n = 1;
      for (int d : outputShapes.get(i)) {
        n *= d;
      }
      if (outputs.get(i).length != n) {
        throw new IllegalArgumentException("output " + i + " has " + outputs.get(i).length
            + " values, shape " + Arrays.toString(outputShapes.get(i)) + " needs " + n);
      }
    }
    outputs = List.copyOf(outputs);
    outputShapes = List.copyOf(outputShapes);
    // code lists hold nulls at float buffers, which List.copyOf refuses
    codes = Collections.unmodifiableList(new ArrayList<>(codes));
  }

  /** Output {@code i}'s values (batch first, NCHW). */
  public float[] output(int i) {
    return outputs.get(i);
  }

  /** Output {@code i}'s shape, batch first. */
  public int[] outputShape(int i) {
    return outputShapes.get(i).clone();
  }

  /** Whether the run kept its code buffers ({@code run(batch, inputs, true)}). */
  public boolean hasCodes() {
    return !codes.isEmpty();
  }

  /**
   * The codes of package buffer {@code buffer}, {@code null} for a float buffer.
   *
   * @throws IllegalStateException if the run did not keep its codes
   */
  public byte[] codes(int buffer) {
    if (codes.isEmpty()) {
      throw new IllegalStateException("this run did not keep its code buffers; "
          + "call Emulator.run(batch, inputs, true)");
    }
    return codes.get(buffer);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("EmulatorRun[batch=").append(batch).append(", outputs=");
    for (int i = 0; i < outputShapes.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(Arrays.toString(outputShapes.get(i)));
    }
    return sb.append(hasCodes() ? ", with codes]" : "]").toString();
  }
}
