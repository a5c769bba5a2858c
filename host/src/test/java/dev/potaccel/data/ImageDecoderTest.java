package dev.potaccel.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.graph.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {
  private static final float EPS = 1e-6f;

  @TempDir
  Path dir;

  @Test
  void grayPngKeepsExactPixelValuesScaledTo01() throws IOException {
    Path png = grayPng("g.png", new int[][] {{0, 255}, {51, 102}});
    Tensor t = ImageDecoder.read(png, new ImagePreprocessing(1, 2, 2, f(0), f(1)));
    assertArrayEquals(new int[] {1, 1, 2, 2}, t.shape());
    assertArrayEquals(new float[] {0f, 1f, 0.2f, 0.4f}, t.floats(), EPS);
  }

  @Test
  void normalisesWithMeanAndStd() throws IOException {
    Path png = grayPng("g.png", new int[][] {{0, 255}, {51, 102}});
    Tensor t = ImageDecoder.read(png, new ImagePreprocessing(1, 2, 2, f(0.5f), f(0.25f)));
    assertArrayEquals(new float[] {-2f, 2f, -1.2f, -0.4f}, t.floats(), EPS);
  }

  @Test
  void upscalesBilinearlyWithAlignedPixelCentres() throws IOException {
    // 2x2 -> 4x4: output x samples (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 (edges clamp)
    Path png = grayPng("g.png", new int[][] {{0, 255}, {255, 255}});
    float[] v = ImageDecoder.read(png, new ImagePreprocessing(1, 4, 4, f(0), f(1))).floats();
    assertEquals(16, v.length);
    assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, new float[] {v[0], v[1], v[2], v[3]},
        EPS);
    // (1,1) sits at input (0.25, 0.25): 1 - 0.75 * 0.75 of the dark corner's weight is bright
    assertEquals(1f - 0.75f * 0.75f, v[5], EPS);
    assertEquals(1f, v[15], EPS);
  }

  @Test
  void downscalesByAveragingNeighbours() throws IOException {
    // 4 wide -> 2 wide: output x samples input 0.5 and 2.5, the mean of each pair
    Path png = grayPng("g.png", new int[][] {{0, 100, 200, 250}});
    float[] v = ImageDecoder.read(png, new ImagePreprocessing(1, 1, 2, f(0), f(1))).floats();
    assertArrayEquals(new float[] {50f / 255, 225f / 255}, v, EPS);
  }

  @Test
  void rgbBecomesGrayByLuma() throws IOException {
    Path png = rgbPng("c.png", new int[] {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF});
    float[] v = ImageDecoder.read(png, new ImagePreprocessing(1, 1, 4, f(0), f(1))).floats();
    assertArrayEquals(new float[] {0.299f, 0.587f, 0.114f, 1f}, v, 1e-5f);
  }

  @Test
  void rgbKeepsChannelsInPlanarOrderWithPerChannelNormalisation() throws IOException {
    Path png = rgbPng("c.png", new int[] {0xFF0000, 0x336699});
    ImagePreprocessing prep = new ImagePreprocessing(3, 1, 2, new float[] {0, 0, 0.5f},
        new float[] {1, 0.5f, 1});
    Tensor t = ImageDecoder.read(png, prep);
    assertArrayEquals(new int[] {1, 3, 1, 2}, t.shape());
    assertArrayEquals(new float[] {
        1f, 0.2f, // red
        0f, 0.8f, // green 0x66 = 0.4, / 0.5
        -0.5f, 0.1f}, // blue 0x99 = 0.6, - 0.5
        t.floats(), 1e-5f);
  }

  @Test
  void grayBecomesRgbByRepeating() throws IOException {
    Path png = grayPng("g.png", new int[][] {{51}});
    float[] v = ImageDecoder.read(png, new ImagePreprocessing(3, 1, 1, f(0), f(1))).floats();
    assertArrayEquals(new float[] {0.2f, 0.2f, 0.2f}, v, EPS);
  }

  @Test
  void jpegIsRead() throws IOException {
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    Path jpg = dir.resolve("flat.jpg");
    ImageIO.write(img, "jpeg", jpg.toFile());
    float[] v = ImageDecoder.read(jpg, new ImagePreprocessing(1, 4, 4, f(0), f(1))).floats();
    for (float x : v) {
      assertEquals(0f, x, 0.02f);
    }
  }

  @Test
  void bundledPngMatchesTheNumpyNormalisedSample() throws Exception {
    // sample-8.npy was normalised by NumPy at training time from the same test image
    Path png = Path.of(getClass().getResource("/dev/potaccel/samples/sample-0-ankle-boot.png")
        .toURI());
    Path npy = Path.of(getClass().getResource("/dev/potaccel/samples/sample-8.npy").toURI());
    ImagePreprocessing prep = new ImagePreprocessing(1, 28, 28, f(0.2860f), f(0.3530f));
    float[] fromPng = ImageDecoder.read(png, prep).floats();
    float[] fromNpy = NpyReader.read(npy).floats();
    for (int i = 0; i < fromPng.length; i++) {
      assertEquals(fromNpy[i], fromPng[i], 1e-5f, "pixel " + i);
    }
  }

  @Test
  void notAnImageIsAnInputError() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.png"), "not a png");
    InputFileException e = assertThrows(InputFileException.class,
        () -> ImageDecoder.read(bad, new ImagePreprocessing(1, 2, 2, f(0), f(1))));
    assertEquals(ErrorKind.INPUT, e.kind());
    assertTrue(e.getMessage().startsWith(bad + ": not "), e.getMessage());
  }

  @Test
  void missingImageIsAnIoError() {
    Path none = dir.resolve("none.png");
    InputFileException e = assertThrows(InputFileException.class,
        () -> ImageDecoder.read(none, new ImagePreprocessing(1, 2, 2, f(0), f(1))));
    assertEquals(ErrorKind.IO, e.kind());
    assertEquals(none + ": file not found", e.getMessage());
  }

  private Path grayPng(String name, int[][] rows) throws IOException {
    BufferedImage img = new BufferedImage(rows[0].length, rows.length,
        BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < rows.length; y++) {
      for (int x = 0; x < rows[0].length; x++) {
        img.getRaster().setSample(x, y, 0, rows[y][x]);
      }
    }
    Path file = dir.resolve(name);
    assertTrue(ImageIO.write(img, "png", file.toFile()));
    return file;
  }

  private Path rgbPng(String name, int[] rgbRow) throws IOException {
    BufferedImage img = new BufferedImage(rgbRow.length, 1, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < rgbRow.length; x++) {
      img.setRGB(x, 0, rgbRow[x]);
    }
    Path file = dir.resolve(name);
    assertTrue(ImageIO.write(img, "png", file.toFile()));
    return file;
  }

  static float[] f(float v) {
    return new float[] {v};
  }
}
