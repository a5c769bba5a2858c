package dev.potaccel.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class HistogramTest {
  @Test
  void binsAreHalfOpenExceptTheLastAndNothingIsLost() {
    double[] v = {-1, -0.5, 0, 0.49, 0.5, 1, 2, -3, Double.NaN};
    Histogram h = Histogram.of(v, 4, -1, 1);
    // [-1,-0.5): -1 | [-0.5,0): -0.5 | [0,0.5): 0, 0.49 | [0.5,1]: 0.5, 1
    assertArrayEquals(new long[] {1, 1, 2, 2}, h.counts());
    assertEquals(1, h.below());
    assertEquals(1, h.above());
    assertEquals(8, h.total()); // NaN is no value
    assertEquals(0.5, h.binWidth());
    assertEquals(2.0 / (8 * 0.5), h.density(2), 1e-12);
  }

  @Test
  void emptyOrInvertedRangesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Histogram.of(new double[] {1}, 4, 1, 1));
    assertThrows(IllegalArgumentException.class,
        () -> Histogram.of(new double[] {1}, 0, 0, 1));
  }

  @Test
  void ticksAreRoundValuesInsideTheRange() {
    assertEquals(List.of(0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0),
        SvgChart.ticks(0, 1, 5));
    assertEquals(List.of(0.0, 20.0, 40.0, 60.0, 80.0, 100.0, 120.0),
        SvgChart.ticks(-13, 130, 8));
    assertEquals("0.6", SvgChart.tickLabel(0.6000000000000001, 0, 1, 5));
    assertEquals("-120", SvgChart.tickLabel(-120, -133, 133, 8));
  }

  @Test
  void markupEscapesEverythingThatCouldOpenATagOrAttribute() {
    assertEquals("&lt;script&gt;a &amp; &quot;b&quot; &#39;c&#39;&lt;/script&gt;",
        Markup.escape("<script>a & \"b\" 'c'</script>\u0001"));
  }
}
