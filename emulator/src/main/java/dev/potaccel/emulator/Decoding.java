package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.WeightTiling;

/**
 * What the steps need while the emulator decodes a package: buffers, packed bytes, tiling, and
 * error messages that name the package and the command at fault.
 */
final class Decoding {
  final AcceleratorPackage pkg;
  final String source;
  final BufferInfo[] buffers;
  final byte[] weights;
  final byte[] biases;
  /**
   * Whether CONV layers whose product bound allows it run in (exact) float arithmetic; false
   * forces int32 everywhere, for tests that compare the two.
   */
  final boolean floatConv;
  private WeightTiling tiling;
  private String where = "";

  Decoding(AcceleratorPackage pkg, String source, boolean floatConv) {
    this.pkg = pkg;
    this.source = source;
    this.floatConv = floatConv;
    this.weights = pkg.getWeights().toByteArray();
    this.biases = pkg.getBiases().toByteArray();
    this.buffers = new BufferInfo[pkg.getBuffersCount()];
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] = BufferInfo.of(i, pkg.getBuffers(i), this);
    }
  }

  /** The tiling the weights were packed with, read from the requirements on first use. */
  WeightTiling tiling() {
    if (tiling == null) {
      tiling = WeightTiling.of(pkg.getRequirements(), source);
    }
    return tiling;
  }

  /** Sets the command later messages name, e.g. {@code "command 3 (conv 'layer1.0.conv1')"}. */
  void at(String where) {
    this.where = where == null || where.isEmpty() ? "" : where + ": ";
  }

  PackageFormatException fail(String message) {
    return new PackageFormatException(source + ": " + where + message);
  }

  /** Buffer {@code index}, read or written as {@code role} ("input", "output"...). */
  BufferInfo buffer(int index, String role) {
    if (index < 0 || index >= buffers.length) {
      throw fail(role + " buffer " + Integer.toUnsignedString(index) + " does not exist (package has "
          + buffers.length + " buffers)");
    }
    return buffers[index];
  }

  /** Buffer {@code index}, which must hold codes. */
  BufferInfo codes(int index, String role) {
    BufferInfo b = buffer(index, role);
    if (b.isFloat()) {
      throw fail(role + " " + b.describe() + " holds FP32 values; this command reads and writes "
          + "activation codes");
    }
    return b;
  }

  /** Buffer {@code index}, which must hold FP32 values. */
  BufferInfo floats(int index, String role) {
    BufferInfo b = buffer(index, role);
    if (!b.isFloat()) {
      throw fail(role + " " + b.describe() + " holds codes; this command reads and writes FP32 "
          + "values");
    }
    return b;
  }

  /** An unsigned 64-bit proto field as an int, or a failure naming it. */
  int toInt(long value, String field) {
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw fail(field + " " + Long.toUnsignedString(value) + " is larger than "
          + Integer.MAX_VALUE);
    }
    return (int) value;
  }
}
