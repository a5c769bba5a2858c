package dev.potaccel.cpu.kernels;

/**
 * The activation a kernel applies as it writes: {@code min(max(v, lo), hi)} with Math's NaN
 * rules. Relu is {@code [0, +inf)}, ReLU6 (Clip 0, 6) is {@code [0, 6]}.
 */
public record Clamp(float lo, float hi) {
  public static final Clamp NONE = new Clamp(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
  public static final Clamp RELU = new Clamp(0f, Float.POSITIVE_INFINITY);

  /** {@link #RELU} or {@link #NONE}. */
  public static Clamp relu(boolean relu) {
    return relu ? RELU : NONE;
  }

  /** Whether a zero stays zero, so the zero borders of a lane tensor may be clamped with it. */
  public boolean keepsZero() {
    return !(lo > 0f) && !(hi < 0f);
  }

  public float apply(float v) {
    return Math.min(Math.max(v, lo), hi);
  }
}
