package dev.potaccel.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.FashionMnist.Split;
import dev.potaccel.error.ErrorKind;
import dev.potaccel.graph.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
  private static final int TRAIN_IMAGES = 50;
  private static final int TEST_IMAGES = 20;
  /** Pixel (0,0) says which split an image is from, pixel (0,1) its index there. */
  private static final int TRAIN_MARK = 11;
  private static final int TEST_MARK = 22;
  private static final ImagePreprocessing PLAIN = new ImagePreprocessing(1, 28, 28,
      new float[] {0.286f}, new float[] {0.353f});

  @TempDir
  Path dir;

  /** A small Fashion-MNIST directory whose every image says where it came from. */
  private Path syntheticDataset(Path where, int trainImages, int testImages) {
    writeSplit(where, Split.TRAIN, trainImages, TRAIN_MARK);
    writeSplit(where, Split.TEST, testImages, TEST_MARK);
    return where;
  }

  private static void writeSplit(Path where, Split split, int count, int mark) {
    byte[] pixels = new byte[count * 28 * 28];
    byte[] labels = new byte[count];
    for (int i = 0; i < count; i++) {
      pixels[i * 784] = (byte) mark;
      pixels[i * 784 + 1] = (byte) i;
      for (int k = 2; k < 784; k++) {
        pixels[i * 784 + k] = (byte) (k * 7 + i);
      }
      labels[i] = (byte) (i % 10);
    }
    IdxWriter.write(where.resolve(split.imagesFile()), new IdxImages("mem", count, 28, 28,
        pixels));
    IdxWriter.write(where.resolve(split.labelsFile()), new IdxLabels("mem", labels));
  }

  @Test
  void calibrationIsSeededAndComesOnlyFromTheTrainingSplit() {
    FashionMnist data = FashionMnist.directory(syntheticDataset(dir, TRAIN_IMAGES,
        TEST_IMAGES));
    LabelledImages a = data.calibration(12, 42);
    LabelledImages again = data.calibration(12, 42);
    LabelledImages other = data.calibration(12, 43);
    assertEquals(Split.TRAIN, a.split());
    assertEquals(12, a.size());
    assertArrayEquals(indices(a), indices(again), "same seed, same images");
    assertFalse(Arrays.equals(indices(a), indices(other)), "another seed, other images");
    Set<Integer> distinct = new HashSet<>();
    int previous = -1;
    for (int i = 0; i < a.size(); i++) {
      int[] p = a.pixels(i);
      assertEquals(TRAIN_MARK, p[0], "image " + i + " is a training image");
      assertEquals(a.indexInSplit(i), p[1]);
      assertEquals(a.indexInSplit(i) % 10, a.label(i));
      assertTrue(a.indexInSplit(i) > previous, "in file order, no repeats");
      previous = a.indexInSplit(i);
      distinct.add(a.indexInSplit(i));
    }
    assertEquals(12, distinct.size());
    assertTrue(a.source().endsWith("train-images-idx3-ubyte.gz"), a.source());
  }

  @Test
  void calibrationSelectionIsPinnedAcrossJvms() {
    // java.util.Random is specified exactly: this selection must never change, or recorded
    // calibration sets (count, seed) stop naming the same images. The expected indices come
    // from a separate Python implementation of the Random spec and the same partial shuffle.
    FashionMnist data = FashionMnist.directory(syntheticDataset(dir, TRAIN_IMAGES,
        TEST_IMAGES));
    assertArrayEquals(new int[] {2, 10, 15, 37, 45}, indices(data.calibration(5, 0)));
  }

  @Test
  void calibrationCanTakeTheWholeTrainingSplit() {
    FashionMnist data = FashionMnist.directory(syntheticDataset(dir, TRAIN_IMAGES,
        TEST_IMAGES));
    int[] all = indices(data.calibration(TRAIN_IMAGES, 1));
    for (int i = 0; i < TRAIN_IMAGES; i++) {
      assertEquals(i, all[i]);
    }
    assertThrows(IllegalArgumentException.class, () -> data.calibration(TRAIN_IMAGES + 1, 1));
    assertThrows(IllegalArgumentException.class, () -> data.calibration(0, 1));
  }

  @Test
  void testSplitIsInFileOrderAndOnlyTestImages() {
    FashionMnist data = FashionMnist.directory(syntheticDataset(dir, TRAIN_IMAGES,
        TEST_IMAGES));
    LabelledImages first = data.test(5);
    assertEquals(Split.TEST, first.split());
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, indices(first));
    assertEquals(TEST_IMAGES, data.test().size());
    assertEquals(TEST_IMAGES, data.test(1000).size(), "a limit past the end takes all");
    LabelledImages all = data.test();
    for (int i = 0; i < all.size(); i++) {
      assertEquals(TEST_MARK, all.pixels(i)[0], "image " + i + " is a test image");
    }
    assertTrue(all.source().endsWith("t10k-images-idx3-ubyte.gz"), all.source());
  }

  @Test
  void uncompressedFilesAreFoundToo() throws IOException {
    Path plain = Files.createDirectory(dir.resolve("plain"));
    syntheticDataset(plain, 3, 4);
    for (Split s : Split.values()) {
      for (String gz : List.of(s.imagesFile(), s.labelsFile())) {
        Path unzipped = plain.resolve(gz.replace(".gz", ""));
        Files.write(unzipped, IdxReaderTest.gunzip(Files.readAllBytes(plain.resolve(gz))));
        Files.delete(plain.resolve(gz));
      }
    }
    FashionMnist data = FashionMnist.directory(plain);
    assertEquals(4, data.test().size());
    assertEquals(3, data.calibration(3, 0).size());
  }

  @Test
  void bundledSampleIsTheFirstThousandTestImagesAndOnlyTheDefaultCalibrationSet() {
    FashionMnist sample = FashionMnist.bundledSample();
    assertTrue(sample.isBundledSample());
    assertTrue(sample.has(Split.TEST));
    assertFalse(sample.has(Split.TRAIN));
    LabelledImages test = sample.test();
    assertEquals(1000, test.size());
    List<Integer> first8 = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      first8.add(test.label(i));
    }
    assertEquals(List.of(9, 2, 1, 1, 6, 1, 4, 6), first8, "labels listed in samples/README");
    InputFileException e = assertThrows(InputFileException.class,
        () -> sample.calibration(10, 0));
    assertTrue(e.getMessage().contains("10 images with seed 0 need the training split"),
        e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    assertThrows(InputFileException.class, () -> sample.calibration(256, 1));
    LabelledImages calib = sample.calibration(256, 0);
    assertEquals(Split.TRAIN, calib.split());
    assertEquals(256, calib.size());
  }

  /**
   * The bundled calibration images were chosen by make_samples.py re-implementing the seeded
   * pick; they must be exactly (pixels, labels, indices) what the Java pick takes from the full
   * training split, or a model compiled offline would differ from one compiled with the data.
   */
  @Test
  void bundledCalibrationSetIsTheDefaultPickFromTheInstalledTrainingSplit() {
    Path debian = dev.potaccel.testing.RequiredData.debianDir(FashionMnist.DEBIAN_DIR,
        FashionMnist.DEBIAN_PACKAGE);
    LabelledImages bundled = FashionMnist.bundledSample().calibration(256, 0);
    LabelledImages full = FashionMnist.directory(debian).calibration(256, 0);
    assertEquals(full.size(), bundled.size());
    for (int i = 0; i < full.size(); i++) {
      assertEquals(full.indexInSplit(i), bundled.indexInSplit(i), "image " + i);
      assertEquals(full.label(i), bundled.label(i), "label of image " + i);
      assertArrayEquals(full.pixels(i), bundled.pixels(i), "pixels of image " + i);
    }
  }

  @Test
  void bundledBatchesEqualTheNormalisedImagesNumPyWrote() throws IOException {
    // models/testdata was written by the Python training code: an independent normalisation
    Tensor golden = NpyReader.read(Path.of("../models/testdata/fmnist-test-first256.npy"));
    Iterator<InputBatch> batches = FashionMnist.bundledSample().test(256).batches(100, PLAIN);
    float[] ours = new float[golden.size()];
    int at = 0;
    List<Integer> sizes = new ArrayList<>();
    while (batches.hasNext()) {
      InputBatch b = batches.next();
      sizes.add(b.size());
      System.arraycopy(b.tensor().floats(), 0, ours, at, b.tensor().size());
      at += b.tensor().size();
    }
    assertEquals(List.of(100, 100, 56), sizes);
    assertArrayEquals(golden.floats(), ours, 0f, "bit-identical to NumPy's float32");
  }

  @Test
  void batchesAreNchwWithNamesAndLabels() {
    FashionMnist data = FashionMnist.directory(syntheticDataset(dir, TRAIN_IMAGES,
        TEST_IMAGES));
    Iterator<InputBatch> it = data.test(7).batches(4, PLAIN);
    InputBatch b = it.next();
    assertArrayEquals(new int[] {4, 1, 28, 28}, b.tensor().shape());
    assertEquals(List.of("test 0", "test 1", "test 2", "test 3"), b.itemNames());
    assertEquals(List.of(0, 1, 2, 3), b.labels());
    float[] x = b.tensor().floats();
    assertEquals((TEST_MARK / 255f - 0.286f) / 0.353f, x[784], 0f, "image 1, pixel 0");
    assertEquals((1 / 255f - 0.286f) / 0.353f, x[785], 0f, "image 1, pixel 1");
    InputBatch last = it.next();
    assertArrayEquals(new int[] {3, 1, 28, 28}, last.tensor().shape());
    assertFalse(it.hasNext());
    assertThrows(java.util.NoSuchElementException.class, it::next);
  }

  @Test
  void rgbAndResizedInputsAreMadeFromTheGrayImage() {
    FashionMnist data = FashionMnist.directory(syntheticDataset(dir, 3, 2));
    ImagePreprocessing rgb = new ImagePreprocessing(3, 0, 0, new float[] {0.5f, 0f, 0.25f},
        new float[] {0.5f, 1f, 2f});
    Tensor t = data.test().batches(8, rgb).next().tensor();
    assertArrayEquals(new int[] {2, 3, 28, 28}, t.shape());
    float p = TEST_MARK / 255f;
    assertEquals((p - 0.5f) / 0.5f, t.floats()[0], 0f);
    assertEquals(p, t.floats()[784], 0f);
    assertEquals((p - 0.25f) / 2f, t.floats()[2 * 784], 0f);

    ImagePreprocessing big = new ImagePreprocessing(1, 56, 56, new float[] {0f},
        new float[] {1f});
    assertArrayEquals(new int[] {2, 1, 56, 56},
        data.test().batches(8, big).next().tensor().shape());
  }

  @Test
  void imageAndLabelCountsMustMatch() {
    syntheticDataset(dir, TRAIN_IMAGES, TEST_IMAGES);
    Path labels = dir.resolve(Split.TEST.labelsFile());
    IdxWriter.write(labels, new IdxLabels("mem", new byte[TEST_IMAGES - 1]));
    InputFileException e = assertThrows(InputFileException.class,
        () -> FashionMnist.directory(dir).test());
    assertEquals(ErrorKind.INPUT, e.kind());
    assertEquals(dir.resolve(Split.TEST.imagesFile()) + ": 20 images, but " + labels
        + " has 19 labels (count at byte offset 4 of each); the two files must describe the"
        + " same items", e.getMessage());
  }

  @Test
  void labelsOutsideTheTenClassesAreRejected() {
    syntheticDataset(dir, TRAIN_IMAGES, TEST_IMAGES);
    byte[] labels = new byte[TEST_IMAGES];
    labels[5] = 10;
    Path file = dir.resolve(Split.TEST.labelsFile());
    IdxWriter.write(file, new IdxLabels("mem", labels));
    InputFileException e = assertThrows(InputFileException.class,
        () -> FashionMnist.directory(dir).test());
    assertEquals(file + ": label 10 at byte offset 13 is not a Fashion-MNIST class (0..9)",
        e.getMessage());
  }

  @Test
  void imagesMustBe28By28() {
    syntheticDataset(dir, TRAIN_IMAGES, TEST_IMAGES);
    Path file = dir.resolve(Split.TEST.imagesFile());
    IdxWriter.write(file, new IdxImages("mem", TEST_IMAGES, 32, 32,
        new byte[TEST_IMAGES * 32 * 32]));
    InputFileException e = assertThrows(InputFileException.class,
        () -> FashionMnist.directory(dir).test());
    assertEquals(file + ": images are 32x32 (header at byte offset 8); Fashion-MNIST images"
        + " are 28x28", e.getMessage());
  }

  @Test
  void missingFilesNameTheFileAndTheDebianPackage() throws IOException {
    syntheticDataset(dir, TRAIN_IMAGES, TEST_IMAGES);
    Files.delete(dir.resolve(Split.TEST.labelsFile()));
    FashionMnist data = FashionMnist.directory(dir);
    assertFalse(data.has(Split.TEST));
    assertTrue(data.has(Split.TRAIN));
    InputFileException e = assertThrows(InputFileException.class, data::test);
    assertEquals(ErrorKind.IO, e.kind());
    assertTrue(e.getMessage().startsWith(dir.resolve("t10k-labels-idx1-ubyte.gz")
        + ": file not found; "), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"),
        e.getMessage());

    Path nowhere = dir.resolve("nowhere");
    e = assertThrows(InputFileException.class, () -> FashionMnist.directory(nowhere).test());
    assertEquals(ErrorKind.IO, e.kind());
    assertTrue(e.getMessage().startsWith(nowhere + ": no such directory; install"),
        e.getMessage());
  }

  @Test
  void installedDirectoryIsPreferredToTheBundledSampleWhenComplete() throws IOException {
    assertTrue(FashionMnist.installedOrBundled(dir.resolve("absent")).isBundledSample());
    syntheticDataset(dir, 2, 3);
    FashionMnist installed = FashionMnist.installedOrBundled(dir);
    assertFalse(installed.isBundledSample());
    assertEquals(dir.toString(), installed.description());
    Files.delete(dir.resolve(Split.TEST.imagesFile()));
    assertTrue(FashionMnist.installedOrBundled(dir).isBundledSample());
  }

  private static int[] indices(LabelledImages images) {
    int[] idx = new int[images.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = images.indexInSplit(i);
    }
    return idx;
  }
}
