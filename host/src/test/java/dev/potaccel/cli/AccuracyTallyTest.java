package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.InputFileException;
import dev.potaccel.graph.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccuracyTallyTest {
  @Test
  void countsTopOneTopFiveAndConfusionAcrossBatches() {
    AccuracyTally tally = new AccuracyTally(6, "m output 'y'");
    // image 0: truth 0 ranked first; image 1: truth 1 ranked 2nd (class 2 predicted)
    tally.add(Tensor.ofFloats(new int[] {2, 6}, new float[] {
        9, 1, 2, 3, 4, 5,
        0, 8, 9, 1, 1, 1}), List.of(0, 1));
    // image 2: truth 5 ranked last (6th): outside the top 5, predicted 0
    tally.add(Tensor.ofFloats(new int[] {1, 6}, new float[] {6, 5, 4, 3, 2, 1}), List.of(5));
    Accuracy a = tally.result();
    assertEquals(3, a.images());
    assertEquals(1, a.top1Hits());
    assertEquals(2, a.top5Hits());
    assertEquals(1.0 / 3, a.top1(), 1e-12);
    assertEquals(1, a.confusion()[0][0]);
    assertEquals(1, a.confusion()[1][2]);
    assertEquals(1, a.confusion()[5][0]);
  }

  @Test
  void tiesGoToTheLowerIndexAndNanRanksLast() {
    assertEquals(0, ClassRanking.rankOf(new float[] {1, 1, 1}, 0));
    assertEquals(2, ClassRanking.rankOf(new float[] {1, 1, 1}, 2));
    assertEquals(1, ClassRanking.best(new float[] {Float.NaN, 2, 2}));
    assertEquals(2, ClassRanking.rankOf(new float[] {Float.NaN, 2, 3}, 0));
    assertEquals(0, ClassRanking.rankOf(new float[] {Float.NaN, 2, 3}, 2));
  }

  @Test
  void scoresOfTheWrongShapeNameTheOutput() {
    AccuracyTally tally = new AccuracyTally(10, "m.onnx output 'logits'");
    InputFileException e = assertThrows(InputFileException.class,
        () -> tally.add(Tensor.ofFloats(new int[] {2, 5}, new float[10]), List.of(0, 1)));
    assertEquals("m.onnx output 'logits' has shape [2, 5] for 2 images; scoring needs [2, 10],"
        + " one score per class of the dataset", e.getMessage());
  }

  @Test
  void confusionTableAlignsColumnsUnderIndices() {
    int[][] confusion = new int[3][3];
    confusion[0][0] = 1234;
    confusion[2][1] = 7;
    StringWriter text = new StringWriter();
    EvalCommand.printConfusion(new PrintWriter(text, true), confusion,
        List.of("Cat", "Dog", "Bird"));
    assertEquals(String.join("\n",
        "           0     1     2",
        "0 Cat   1234     0     0",
        "1 Dog      0     0     0",
        "2 Bird     0     7     0", ""), text.toString());
  }

  @Test
  void progressLinesComeOncePerTenth() {
    StringWriter text = new StringWriter();
    ProgressDisplay lines = new ProgressDisplay.TenthLines("eval", "images", 1000,
        new PrintWriter(text, true));
    for (int i = 0; i < 40; i++) {
      lines.advance(25);
    }
    List<String> printed = text.toString().lines().toList();
    assertEquals(10, printed.size(), text.toString());
    assertTrue(printed.get(0).startsWith("eval: 100/1000 images (10%), "), printed.get(0));
    assertTrue(printed.get(9).startsWith("eval: 1000/1000 images (100%), "), printed.get(9));

    StringWriter once = new StringWriter();
    ProgressDisplay big = new ProgressDisplay.TenthLines("eval", "images", 10,
        new PrintWriter(once, true));
    big.advance(10);
    assertArrayEquals(new Object[] {"eval: 10/10 images (100%)"},
        once.toString().lines().map(l -> l.substring(0, l.indexOf(','))).toArray());
  }
}
