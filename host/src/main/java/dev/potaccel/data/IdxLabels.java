package dev.potaccel.data;

/**
 * Class labels as an IDX1 file holds them: one unsigned byte per item. The array is shared, not
 * copied: treat it as read-only.
 *
 * @param source the file or resource it came from, for messages
 */
public record IdxLabels(String source, byte[] labels) {

  public int count() {
    return labels.length;
  }

  /** The label of item {@code i}, 0..255. */
  public int label(int i) {
    return labels[i] & 0xFF;
  }
}
