package dev.potaccel.data;

import dev.potaccel.graph.Tensor;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;

/**
 * Turns pictures (PNG, JPEG, anything javax.imageio reads) into a model's input: converted to its
 * channel count, resized bilinearly to its height and width, scaled to [0,1] and normalised. The
 * result is one image, shape [1, C, H, W].
 */
public final class ImageDecoder {
  // ITU-R BT.601 luma, the weights PIL's convert("L") and OpenCV use
  private static final float RED = 0.299f;
  private static final float GREEN = 0.587f;
  private static final float BLUE = 0.114f;

  private ImageDecoder() {}

  /**
   * @throws InputFileException when the file is missing (IO) or not a readable picture (INPUT)
   */
  public static Tensor read(Path file, ImagePreprocessing prep) {
    if (!Files.isRegularFile(file)) {
      throw InputFileException.io(file, new NoSuchFileException(file.toString()));
    }
    BufferedImage img;
    try {
      img = ImageIO.read(file.toFile());
    } catch (IIOException e) {
      // ImageIO's own decoding failure: the file is there but is not a good picture
      throw new InputFileException(file + ": not a readable image: " + e.getMessage(), e);
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    }
    if (img == null) {
      throw new InputFileException(file + ": not an image format javax.imageio can read"
          + " (PNG, JPEG, BMP, GIF)");
    }
    return toTensor(img, prep);
  }

  /** Converts, resizes and normalises a decoded picture to shape [1, C, H, W]. */
  public static Tensor toTensor(BufferedImage img, ImagePreprocessing prep) {
    int w = img.getWidth();
    int h = img.getHeight();
    float[][] planes = channelPlanes(img, prep.channels());
    int outH = prep.height() > 0 ? prep.height() : h;
    int outW = prep.width() > 0 ? prep.width() : w;
    float[] out = new float[prep.channels() * outH * outW];
    for (int c = 0; c < planes.length; c++) {
      float[] resized = resizeBilinear(planes[c], h, w, outH, outW);
      float mean = prep.mean(c);
      float std = prep.std(c);
      int base = c * outH * outW;
      for (int i = 0; i < resized.length; i++) {
        out[base + i] = (resized[i] / 255f - mean) / std;
      }
    }
    return Tensor.ofFloats(new int[] {1, prep.channels(), outH, outW}, out);
  }

  /** The picture as {@code channels} planes of values in [0, 255], row-major. */
  static float[][] channelPlanes(BufferedImage img, int channels) {
    int w = img.getWidth();
    int h = img.getHeight();
    float[][] planes = new float[channels][w * h];
    // getRGB on a gray image goes through a linear-to-sRGB conversion that changes the values:
    // read gray samples straight from the raster instead
    if (img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
      Raster r = img.getRaster();
      float max = (1 << img.getColorModel().getComponentSize(0)) - 1;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = r.getSample(x, y, 0) * 255f / max;
          for (int c = 0; c < channels; c++) {
            planes[c][y * w + x] = v;
          }
        }
      }
      return planes;
    }
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int argb = img.getRGB(x, y);
        float red = (argb >> 16) & 0xFF;
        float green = (argb >> 8) & 0xFF;
        float blue = argb & 0xFF;
        if (channels == 1) {
          planes[0][y * w + x] = RED * red + GREEN * green + BLUE * blue;
        } else {
          planes[0][y * w + x] = red;
          planes[1][y * w + x] = green;
          planes[2][y * w + x] = blue;
        }
      }
    }
    return planes;
  }

  /**
   * Bilinear resize with pixel centres aligned (OpenCV's INTER_LINEAR, PyTorch's
   * align_corners=False): output pixel i samples input coordinate (i + 0.5) * in/out - 0.5,
   * clamped to the edge. Same size in and out is an exact copy.
   */
  static float[] resizeBilinear(float[] src, int h, int w, int outH, int outW) {
    if (h == outH && w == outW) {
      return src.clone();
    }
    float[] dst = new float[outH * outW];
    float sy = (float) h / outH;
    float sx = (float) w / outW;
    for (int y = 0; y < outH; y++) {
      float fy = Math.max(0f, Math.min(h - 1, (y + 0.5f) * sy - 0.5f));
      int y0 = (int) fy;
      int y1 = Math.min(y0 + 1, h - 1);
      float dy = fy - y0;
      for (int x = 0; x < outW; x++) {
        float fx = Math.max(0f, Math.min(w - 1, (x + 0.5f) * sx - 0.5f));
        int x0 = (int) fx;
        int x1 = Math.min(x0 + 1, w - 1);
        float dx = fx - x0;
        float top = src[y0 * w + x0] * (1 - dx) + src[y0 * w + x1] * dx;
        float bottom = src[y1 * w + x0] * (1 - dx) + src[y1 * w + x1] * dx;
        dst[y * outW + x] = top * (1 - dy) + bottom * dy;
      }
    }
    return dst;
  }
}
