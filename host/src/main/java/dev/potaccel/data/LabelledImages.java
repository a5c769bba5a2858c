package dev.potaccel.data;

import dev.potaccel.data.FashionMnist.Split;
import dev.potaccel.graph.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Images chosen from one split of a dataset, with their true classes: the whole test set, its
 * first N images, or a seeded calibration subset of the training set. Only {@link FashionMnist}
 * makes them, so the split a selection came from is a fact, not a caller's promise.
 *
 * <p>Pixels stay uint8 until {@link #batches} normalises one batch at a time: 10,000 images as
 * float32 would be 31 MB per copy for nothing.
 */
public final class LabelledImages {
  private final Split split;
  private final IdxImages images;
  private final IdxLabels labels;
  private final int[] indices;
  /** Where each image is in the full split (differs from {@code indices} for a bundled subset). */
  private final int[] inSplit;

  LabelledImages(Split split, IdxImages images, IdxLabels labels, int[] indices) {
    this(split, images, labels, indices, indices);
  }

  /**
   * @param indices positions of the chosen images in {@code images}
   * @param inSplit their positions in the full split, for provenance
   */
  LabelledImages(Split split, IdxImages images, IdxLabels labels, int[] indices, int[] inSplit) {
    if (indices.length != inSplit.length) {
      throw new IllegalArgumentException(indices.length + " indices, " + inSplit.length
          + " split indices");
    }
    this.split = split;
    this.images = images;
    this.labels = labels;
    this.indices = indices.clone();
    this.inSplit = inSplit.clone();
  }

  /** The split every image here comes from. */
  public Split split() {
    return split;
  }

  /** The images file (or bundled resource) they were read from. */
  public String source() {
    return images.source();
  }

  public int size() {
    return indices.length;
  }

  /** The true class of the {@code i}-th image of this selection. */
  public int label(int i) {
    return labels.label(indices[i]);
  }

  /** Where the {@code i}-th image of this selection is in its split's files. */
  public int indexInSplit(int i) {
    return inSplit[i];
  }

  /** A copy of the {@code i}-th image's pixels, row-major, 0..255. */
  public int[] pixels(int i) {
    int n = images.imageSize();
    int[] p = new int[n];
    int base = indices[i] * n;
    for (int k = 0; k < n; k++) {
      p[k] = images.pixels()[base + k] & 0xFF;
    }
    return p;
  }

  /**
   * The images in order as float32 NCHW batches of {@code batchSize} (the last one smaller),
   * each value {@code (pixel/255 - mean[c]) / std[c]}, the gray value repeated on every channel
   * when {@code prep} wants RGB and resized bilinearly when it wants another size. Items are
   * named "test 17" (split and index in the split) and carry their labels. Each batch is built
   * when {@code next()} asks for it.
   */
  public Iterator<InputBatch> batches(int batchSize, ImagePreprocessing prep) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    return new BatchIterator(batchSize, prep);
  }

  private final class BatchIterator implements Iterator<InputBatch> {
    private final int batchSize;
    private final int channels;
    private final int outRows;
    private final int outCols;
    private final float[][] normalised;
    private final ImagePreprocessing prep;
    private int next;

    BatchIterator(int batchSize, ImagePreprocessing prep) {
      this.batchSize = batchSize;
      this.prep = prep;
      this.channels = prep.channels();
      this.outRows = prep.height() > 0 ? prep.height() : images.rows();
      this.outCols = prep.width() > 0 ? prep.width() : images.cols();
      // one table per channel: the same expression ImageDecoder uses, so a picture and the
      // same image from an IDX file give bit-identical inputs
      normalised = new float[channels][256];
      for (int c = 0; c < channels; c++) {
        for (int p = 0; p < 256; p++) {
          normalised[c][p] = (p / 255f - prep.mean(c)) / prep.std(c);
        }
      }
    }

    @Override
    public boolean hasNext() {
      return next < indices.length;
    }

    @Override
    public InputBatch next() {
      if (!hasNext()) {
        throw new NoSuchElementException("all " + indices.length + " images were returned");
      }
      int n = Math.min(batchSize, indices.length - next);
      int plane = outRows * outCols;
      float[] data = new float[n * channels * plane];
      List<String> names = new ArrayList<>(n);
      List<Integer> trueClasses = new ArrayList<>(n);
      boolean resize = outRows != images.rows() || outCols != images.cols();
      for (int b = 0; b < n; b++) {
        int index = indices[next + b];
        names.add(split.id() + " " + inSplit[next + b]);
        trueClasses.add(labels.label(index));
        int src = index * images.imageSize();
        for (int c = 0; c < channels; c++) {
          int dst = (b * channels + c) * plane;
          if (resize) {
            float[] gray = new float[images.imageSize()];
            for (int k = 0; k < gray.length; k++) {
              gray[k] = images.pixels()[src + k] & 0xFF;
            }
            float[] resized = ImageDecoder.resizeBilinear(gray, images.rows(), images.cols(),
                outRows, outCols);
            for (int k = 0; k < plane; k++) {
              data[dst + k] = (resized[k] / 255f - prep.mean(c)) / prep.std(c);
            }
          } else {
            float[] table = normalised[c];
            for (int k = 0; k < plane; k++) {
              data[dst + k] = table[images.pixels()[src + k] & 0xFF];
            }
          }
        }
      }
      next += n;
      Tensor t = Tensor.ofFloats(new int[] {n, channels, outRows, outCols}, data);
      return new InputBatch(images.source(), t, names, trueClasses);
    }
  }
}
