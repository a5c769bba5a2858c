package dev.potaccel.data;

/**
 * Grayscale images as an IDX3 file holds them: {@code count} images of {@code rows x cols}
 * unsigned bytes, row-major, image after image. The pixel array is shared, not copied (the
 * training set is 47 MB): treat it as read-only.
 *
 * @param source the file or resource it came from, for messages
 * @param pixels {@code count * rows * cols} bytes, each an unsigned pixel value 0..255
 */
public record IdxImages(String source, int count, int rows, int cols, byte[] pixels) {

  public IdxImages {
    if (count < 0 || rows < 0 || cols < 0) {
      throw new IllegalArgumentException("negative size " + count + "x" + rows + "x" + cols);
    }
    if ((long) count * rows * cols != pixels.length) {
      throw new IllegalArgumentException(count + " images of " + rows + "x" + cols + " need "
          + (long) count * rows * cols + " pixels, got " + pixels.length);
    }
  }

  /** Pixels per image. */
  public int imageSize() {
    return rows * cols;
  }

  /** The pixel at ({@code row}, {@code col}) of image {@code image}, 0..255. */
  public int pixel(int image, int row, int col) {
    return pixels[(image * rows + row) * cols + col] & 0xFF;
  }
}
