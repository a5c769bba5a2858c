package dev.potaccel.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.quantize.ActivationFormat;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The page parses as XML (so every tag is closed and every text escaped), refers to nothing
 * outside itself, and has a chart and a table-of-contents entry per layer.
 */
class HtmlReportTest {
  /** A name that would break the page (or run a script) if it were not escaped. */
  static final String NASTY = "<script>alert(\"x\")</script> & 'q' https://example.com/";

  static ModelReport report() {
    SplittableRandom r = new SplittableRandom(3);
    double[] w = new double[500];
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextGaussian() * 20;
    }
    WeightPicture wp = new WeightPicture(Histogram.of(w, 40, -80, 80),
        new int[] {-64, -32, -16, 0, 16, 32, 64}, new long[] {1, 20, 100, 258, 100, 20, 1}, 2,
        "POT 4-bit");
    float[] sample = new float[4000];
    for (int i = 0; i < sample.length; i++) {
      sample[i] = i % 3 == 0 ? 0 : (float) Math.abs(r.nextGaussian());
    }
    ActivationPicture ap = ActivationPicture.of(NASTY, sample, new ActivationFormat(8, false, 6));
    List<LayerSection> layers = new ArrayList<>();
    for (String name : List.of("conv1", NASTY)) {
      layers.add(new LayerSection(name, "Conv", "[8, 1, 3, 3]", "pot4", "e_min 0", wp, ap,
          List.of(new LayerSection.SchemeSqnr("int8", 40), new LayerSection.SchemeSqnr("pot4",
              14.2), new LayerSection.SchemeSqnr("x", Double.POSITIVE_INFINITY))));
    }
    MemoryCurve curve = new MemoryCurve(List.of(
        new MemoryCurve.Point(0, "", 1000, 0, 0.9, 0.89),
        new MemoryCurve.Point(1, NASTY, 800, 0.2, 0.88, 0.87),
        new MemoryCurve.Point(2, "conv1", 625, 0.375, 0.8, 0.79)), 1, "memory target 20%",
        "500 train images", "50 test images");
    return new ModelReport(NASTY, "pot4", List.of(new ModelReport.Fact("model", NASTY)),
        layers, curve, List.of(new SchemeEnergy("int8", 0.1, 0.3, 12, 61470), new SchemeEnergy("pot4",
            0.08, 0.25, 7.8, 30735)), "batch 1 <default>", List.of(NASTY));
  }

  @Test
  void wellFormedSelfContainedAndEscaped() throws Exception {
    String html = HtmlReport.render(report());
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
    Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(
        html.getBytes(StandardCharsets.UTF_8)));

    assertEquals(0, doc.getElementsByTagName("script").getLength(), "no script element");
    assertEquals(0, doc.getElementsByTagName("link").getLength());
    assertEquals(0, doc.getElementsByTagName("img").getLength());
    Set<String> ids = new HashSet<>();
    List<String> hrefs = new ArrayList<>();
    NodeList all = doc.getElementsByTagName("*");
    for (int i = 0; i < all.getLength(); i++) {
      Element e = (Element) all.item(i);
      if (e.hasAttribute("id")) {
        assertTrue(ids.add(e.getAttribute("id")), "duplicate id " + e.getAttribute("id"));
      }
      assertFalse(e.hasAttribute("src"), e.getTagName() + " has a src");
      if (e.hasAttribute("href")) {
        hrefs.add(e.getAttribute("href"));
      }
    }
    // every link is to a fragment of this page, and every fragment exists
    assertFalse(hrefs.isEmpty());
    for (String h : hrefs) {
      assertTrue(h.startsWith("#") && ids.contains(h.substring(1)), "link " + h);
    }
    assertFalse(html.matches("(?s).*(src|href)\\s*=\\s*\"?https?:.*"), "external URL");
    assertFalse(html.contains("url(http"), "external URL in style");
    assertTrue(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;"));

    // 2 layers × (weights, activation, SQNR) + layer SQNR + curve + energy
    assertEquals(2 * 3 + 3, doc.getElementsByTagName("svg").getLength());
    assertTrue(ids.containsAll(List.of("model", "doubleqext", "energy", "layer-0", "layer-1")));
    String text = doc.getDocumentElement().getTextContent();
    assertTrue(text.contains(NASTY), "the nasty name comes back intact as text");
    assertTrue(text.contains("chosen: 1 PoT, −20.0% memory"), "the chosen curve point");
  }
}
