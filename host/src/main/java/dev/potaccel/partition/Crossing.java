package dev.potaccel.partition;

import java.util.Objects;

/**
 * One value crossing between the host and the accelerator at a CONVERT command.
 *
 * @param command the CONVERT's index in the package
 * @param value the ONNX value it converts
 * @param codeBuffer the package buffer holding its codes
 * @param floatBuffer the package buffer holding its FP32 values
 * @param valuesPerImage elements per image
 * @param direction which way it goes
 */
public record Crossing(int command, String value, int codeBuffer, int floatBuffer,
    long valuesPerImage, Direction direction) {

  /** Which way a value crosses. */
  public enum Direction {
    /** FP32 values quantized to codes for the accelerator. */
    TO_ACCELERATOR,
    /** Codes dequantized to FP32 values for the host or a model output. */
    TO_HOST;

    /** "to accelerator", "to host". */
    public String label() {
      return this == TO_ACCELERATOR ? "to accelerator" : "to host";
    }
  }

  public Crossing {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(direction, "direction");
    if (valuesPerImage < 0) {
      throw new IllegalArgumentException("negative size " + valuesPerImage + " of '" + value
          + "'");
    }
  }

  /** Bytes per image as codes, one byte each (docs/accelerator.md §1.1). */
  public long codeBytesPerImage() {
    return valuesPerImage;
  }

  /** Bytes per image as FP32 values. */
  public long floatBytesPerImage() {
    return 4 * valuesPerImage;
  }
}
