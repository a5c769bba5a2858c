package dev.potaccel.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The Fashion-MNIST dataset (Zalando, MIT licence): 28x28 grayscale pictures of clothing in 10
 * classes, 60,000 for training and 10,000 for testing, read from the IDX files of a directory
 * (by default where Debian's {@code dataset-fashion-mnist} installs them) or from the 1,000-image
 * test sample bundled in the jar.
 *
 * <p>The two splits have one use each, and the API keeps them apart: {@link #calibration} picks
 * images only from the training split (quantization statistics must not see the test set) and
 * {@link #test} returns only test images (accuracy is measured on images no step has seen).
 * There is no way to ask for test images to calibrate with, or training images to score.
 *
 * <p>Each call reads the split's files afresh; nothing is cached.
 */
public final class FashionMnist {
  /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
  public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  public static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";
  public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover",
      "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
  public static final int ROWS = 28;
  public static final int COLS = 28;
  /** How many test images the bundled sample holds: the first 1,000 of the test split. */
  public static final int BUNDLED_IMAGES = 1000;

  /**
   * How many training images the bundled sample holds: exactly the ones {@link #calibration}
   * picks with {@link #BUNDLED_CALIBRATION_SEED} from the full training split, so a model
   * compiled offline is the same as one compiled with the dataset installed.
   */
  public static final int BUNDLED_CALIBRATION_IMAGES = 256;
  public static final long BUNDLED_CALIBRATION_SEED = 0;

  private static final String SAMPLES = "/dev/potaccel/samples/";
  private static final String BUNDLED_CALIBRATION = "fmnist-train-calib256-seed0";
  private static final String BUNDLED_IMAGES_FILE = "fmnist-test-1000-images-idx3-ubyte.gz";
  private static final String BUNDLED_LABELS_FILE = "fmnist-test-1000-labels-idx1-ubyte.gz";
  private static final String INSTALL_HINT = "install Fashion-MNIST with `apt-get install "
      + DEBIAN_PACKAGE + "` (it puts the IDX files in " + DEBIAN_DIR + ")";

  /** The two halves of the dataset, with the file names Zalando and Debian use. */
  public enum Split {
    TRAIN("train", "train"),
    TEST("test", "t10k");

    private final String id;
    private final String filePrefix;

    Split(String id, String filePrefix) {
      this.id = id;
      this.filePrefix = filePrefix;
    }

    /** "train" or "test". */
    public String id() {
      return id;
    }

    /** {@code train-images-idx3-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz}. */
    public String imagesFile() {
      return filePrefix + "-images-idx3-ubyte.gz";
    }

    /** {@code train-labels-idx1-ubyte.gz}, {@code t10k-labels-idx1-ubyte.gz}. */
    public String labelsFile() {
      return filePrefix + "-labels-idx1-ubyte.gz";
    }
  }

  /** Where the files come from. */
  private sealed interface Location permits Directory, BundledSample {}

  private record Directory(Path dir) implements Location {}

  private record BundledSample() implements Location {}

  private final Location location;

  private FashionMnist(Location location) {
    this.location = location;
  }

  /** The IDX files in {@code dir} (each gzipped, or the same name without {@code .gz}). */
  public static FashionMnist directory(Path dir) {
    return new FashionMnist(new Directory(dir));
  }

  /**
   * The first {@value #BUNDLED_IMAGES} test images and their labels, and {@value
   * #BUNDLED_CALIBRATION_IMAGES} calibration images from the training split, shipped in the jar.
   */
  public static FashionMnist bundledSample() {
    return new FashionMnist(new BundledSample());
  }

  /**
   * The full test set in {@code installedDir} when both of its test files are there, otherwise
   * the bundled sample: what a command uses when the user names no data, so it works offline on
   * a machine without the Debian package.
   */
  public static FashionMnist installedOrBundled(Path installedDir) {
    return installedOrBundled(installedDir, Split.TEST);
  }

  /**
   * {@code installedDir} when it has both files of {@code split}, otherwise the bundled sample
   * (whose training part serves only the default calibration set).
   */
  public static FashionMnist installedOrBundled(Path installedDir, Split split) {
    return directory(installedDir).has(split) ? directory(installedDir) : bundledSample();
  }

  public boolean isBundledSample() {
    return location instanceof BundledSample;
  }

  /** Whether this source has the files of {@code split}, without reading them. */
  public boolean has(Split split) {
    if (location instanceof Directory d) {
      return find(d.dir(), split.imagesFile()).isPresent()
          && find(d.dir(), split.labelsFile()).isPresent();
    }
    return split == Split.TEST;
  }

  /**
   * For messages and reports: the directory, or "bundled sample (first 1000 test images)" (its
   * calibration images name their own resource in {@link LabelledImages#source}).
   */
  public String description() {
    if (location instanceof Directory d) {
      return d.dir().toString();
    }
    return "bundled sample (first " + BUNDLED_IMAGES + " test images)";
  }

  /** All test images, in file order. */
  public LabelledImages test() {
    return test(Integer.MAX_VALUE);
  }

  /**
   * The first {@code limit} test images (all of them when there are fewer), in file order.
   *
   * @throws InputFileException when a file is missing (kind IO) or malformed (INPUT)
   */
  public LabelledImages test(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    SplitFiles files = load(Split.TEST);
    int[] indices = new int[Math.min(limit, files.images().count())];
    Arrays.setAll(indices, i -> i);
    return new LabelledImages(Split.TEST, files.images(), files.labels(), indices);
  }

  /**
   * {@code count} distinct training images chosen at random with {@code seed} (the same seed
   * always gives the same images, on every JVM), in file order. Never a test image.
   *
   * @throws InputFileException when the training files are missing (kind IO), malformed
   *     (INPUT), or this is the bundled sample, which has no training images (INPUT)
   * @throws IllegalArgumentException when {@code count} is not in 1..(training images)
   */
  public LabelledImages calibration(int count, long seed) {
    if (location instanceof BundledSample) {
      return bundledCalibration(count, seed);
    }
    SplitFiles files = load(Split.TRAIN);
    int available = files.images().count();
    if (count < 1 || count > available) {
      throw new IllegalArgumentException("calibration count must be in 1.." + available
          + " (the training images in " + description() + "), got " + count);
    }
    // partial Fisher-Yates: java.util.Random's sequence is specified, so the choice is the same
    // on every JVM, and a calibration set can be named by (count, seed) in provenance
    int[] order = new int[available];
    Arrays.setAll(order, i -> i);
    Random random = new Random(seed);
    for (int i = 0; i < count; i++) {
      int j = i + random.nextInt(available - i);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int[] chosen = Arrays.copyOf(order, count);
    Arrays.sort(chosen);
    return new LabelledImages(Split.TRAIN, files.images(), files.labels(), chosen);
  }

  /** The bundled training images, which are the calibration set of (256, seed 0) only. */
  private static LabelledImages bundledCalibration(int count, long seed) {
    if (count != BUNDLED_CALIBRATION_IMAGES || seed != BUNDLED_CALIBRATION_SEED) {
      throw new InputFileException("bundled Fashion-MNIST sample: holds only the "
          + BUNDLED_CALIBRATION_IMAGES + " calibration images of seed "
          + BUNDLED_CALIBRATION_SEED + "; " + count + " images with seed " + seed
          + " need the training split: " + INSTALL_HINT);
    }
    String imagesFile = BUNDLED_CALIBRATION + "-images-idx3-ubyte.gz";
    String labelsFile = BUNDLED_CALIBRATION + "-labels-idx1-ubyte.gz";
    String indicesFile = BUNDLED_CALIBRATION + ".indices.txt";
    IdxImages images = readResource(imagesFile, in -> IdxReader.readImages(in,
        imagesFile + " (bundled)"));
    IdxLabels labels = readResource(labelsFile, in -> IdxReader.readLabels(in,
        labelsFile + " (bundled)"));
    int[] inSplit = readResource(indicesFile, in -> {
      try {
        return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).lines()
            .mapToInt(Integer::parseInt).toArray();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read bundled " + indicesFile, e);
      }
    });
    if (images.count() != count || labels.count() != count || inSplit.length != count) {
      // a packaging bug: make_samples.py writes all three together
      throw new IllegalStateException("bundled calibration sample: " + images.count()
          + " images, " + labels.count() + " labels, " + inSplit.length + " indices; expected "
          + count + " of each");
    }
    int[] positions = new int[count];
    Arrays.setAll(positions, i -> i);
    return new LabelledImages(Split.TRAIN, images, labels, positions, inSplit);
  }

  /** One split's images and labels, checked against each other and the dataset. */
  private record SplitFiles(IdxImages images, IdxLabels labels) {}

  private SplitFiles load(Split split) {
    IdxImages images;
    IdxLabels labels;
    if (location instanceof Directory d) {
      images = IdxReader.readImages(require(d.dir(), split.imagesFile(), split));
      labels = IdxReader.readLabels(require(d.dir(), split.labelsFile(), split));
    } else {
      if (split != Split.TEST) {
        throw new IllegalStateException("the bundled sample has only the test split");
      }
      images = readResource(BUNDLED_IMAGES_FILE, in -> IdxReader.readImages(in,
          BUNDLED_IMAGES_FILE + " (bundled)"));
      labels = readResource(BUNDLED_LABELS_FILE, in -> IdxReader.readLabels(in,
          BUNDLED_LABELS_FILE + " (bundled)"));
    }
    if (images.rows() != ROWS || images.cols() != COLS) {
      throw new InputFileException(images.source() + ": images are " + images.rows() + "x"
          + images.cols() + " (header at byte offset 8); Fashion-MNIST images are " + ROWS
          + "x" + COLS);
    }
    if (images.count() != labels.count()) {
      throw new InputFileException(images.source() + ": " + images.count() + " images, but "
          + labels.source() + " has " + labels.count() + " labels (count at byte offset 4 of"
          + " each); the two files must describe the same items");
    }
    for (int i = 0; i < labels.count(); i++) {
      if (labels.label(i) >= CLASSES.size()) {
        throw new InputFileException(labels.source() + ": label " + labels.label(i)
            + " at byte offset " + (8 + i) + " is not a Fashion-MNIST class (0.."
            + (CLASSES.size() - 1) + ")");
      }
    }
    return new SplitFiles(images, labels);
  }

  /** {@code dir/name}, or the uncompressed {@code dir/name-without-.gz}, if either exists. */
  private static Optional<Path> find(Path dir, String name) {
    Path gz = dir.resolve(name);
    Path plain = dir.resolve(name.substring(0, name.length() - ".gz".length()));
    return Stream.of(gz, plain).filter(Files::isRegularFile).findFirst();
  }

  private static Path require(Path dir, String name, Split split) {
    if (!Files.isDirectory(dir)) {
      throw InputFileException.missingDirectory(dir, INSTALL_HINT);
    }
    return find(dir, name).orElseThrow(() -> {
      Path gz = dir.resolve(name);
      return InputFileException.io(gz, new NoSuchFileException(gz.toString()),
          "the Fashion-MNIST " + split.id() + " split is " + split.imagesFile() + " and "
              + split.labelsFile() + " (gzipped or not); " + INSTALL_HINT);
    });
  }

  /** Reads a resource that the build must have put in the jar. */
  private static <T> T readResource(String name, Function<InputStream, T> reader) {
    try (InputStream in = FashionMnist.class.getResourceAsStream(SAMPLES + name)) {
      if (in == null) {
        // a packaging bug, not a user error
        throw new IllegalStateException(SAMPLES.substring(1) + name + " is missing from the"
            + " jar; rebuild with ./mvnw package");
      }
      return reader.apply(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close bundled " + name, e);
    }
  }
}
