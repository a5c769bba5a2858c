package dev.potaccel.emulator.cost;

/** What a package command is, as the cost report names it. */
public enum CommandKind {
  /** A CONV on {@code [C, H, W]} buffers. */
  CONV("conv", true),
  /** A CONV whose input and output are rank-1 {@code [K]} buffers (a fully connected layer). */
  FC("fc", true),
  MAX_POOL("maxpool", true),
  AVG_POOL("avgpool", true),
  GLOBAL_AVG_POOL("globalavgpool", true),
  ADD("add", true),
  /** A view of the same bytes: no data moves. */
  RESHAPE("reshape", true),
  /** FP32 to codes or back: done by the host at the accelerator boundary. */
  CONVERT("convert", false),
  /** Nodes run by the host CPU engine. */
  HOST("host", false);

  private final String label;
  private final boolean onAccelerator;

  CommandKind(String label, boolean onAccelerator) {
    this.label = label;
    this.onAccelerator = onAccelerator;
  }

  /** {@code "conv"}, {@code "host"}...: the report's kind column. */
  public String label() {
    return label;
  }

  /**
   * False for work the host does (CONVERT, HOST): no accelerator cycles, except a CONVERT when
   * the device converts ({@link HostModel.Conversion#ON_DEVICE}).
   */
  public boolean onAccelerator() {
    return onAccelerator;
  }
}
