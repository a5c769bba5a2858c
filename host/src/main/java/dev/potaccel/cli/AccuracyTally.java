package dev.potaccel.cli;

import dev.potaccel.data.InputFileException;
import dev.potaccel.graph.Tensor;
import java.util.Arrays;
import java.util.List;

/** Counts top-1 and top-5 hits and the confusion matrix, batch by batch. */
final class AccuracyTally {
  private final int classes;
  private final String outputName;
  private final int[][] confusion;
  private int images;
  private int top1Hits;
  private int top5Hits;

  /** @param outputName names the scores in messages ("lenet5.onnx output 'logits'") */
  AccuracyTally(int classes, String outputName) {
    this.classes = classes;
    this.outputName = outputName;
    this.confusion = new int[classes][classes];
  }

  /**
   * Adds one batch: {@code scores} holds one row of {@code classes} scores per label.
   *
   * @throws InputFileException when the scores are not one row of that many per image
   */
  void add(Tensor scores, List<Integer> labels) {
    int n = labels.size();
    if (scores.rank() < 1 || scores.dim(0) != n || scores.size() != n * classes) {
      throw new InputFileException(outputName + " has shape " + Arrays.toString(scores.shape())
          + " for " + n + " images; scoring needs [" + n + ", " + classes + "], one score per"
          + " class of the dataset");
    }
    float[] row = new float[classes];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < classes; c++) {
        row[c] = (float) scores.getDouble(i * classes + c);
      }
      int truth = labels.get(i);
      int rank = ClassRanking.rankOf(row, truth);
      top1Hits += rank == 0 ? 1 : 0;
      top5Hits += rank < 5 ? 1 : 0;
      confusion[truth][ClassRanking.best(row)]++;
    }
    images += n;
  }

  Accuracy result() {
    int[][] copy = new int[classes][];
    for (int c = 0; c < classes; c++) {
      copy[c] = confusion[c].clone();
    }
    return new Accuracy(images, top1Hits, top5Hits, copy);
  }
}
