package dev.potaccel.cli;

/**
 * How well a classifier did on a labelled set: top-1 and top-5 hits and the confusion matrix.
 *
 * @param confusion {@code confusion[true class][predicted class]} image counts
 */
record Accuracy(int images, int top1Hits, int top5Hits, int[][] confusion) {

  /** Fraction of images whose top-1 class is the true class. */
  double top1() {
    return images == 0 ? 0 : (double) top1Hits / images;
  }

  /** Fraction of images whose true class is among the 5 highest scores. */
  double top5() {
    return images == 0 ? 0 : (double) top5Hits / images;
  }
}
