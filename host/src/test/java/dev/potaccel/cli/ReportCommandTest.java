package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.FashionMnist;
import dev.potaccel.testing.RequiredData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code potaccel report} on LeNet-5, offline (the bundled Fashion-MNIST sample): the page has
 * every section, and headless Chromium draws it (a screenshot that is not blank and has the
 * charts' colours).
 */
class ReportCommandTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir
  static Path dir;

  static Path html;
  static CliRun run;

  @BeforeAll
  static void writeReport() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("no-dataset"));
    html = dir.resolve("lenet5 report.html");
    run = CliRun.of("report", "--model", "../models/lenet5.onnx", "--scheme", "pot4",
        "--schemes", "int8,doubleqext", "--limit", "40", "--data", empty.toString(),
        "--threads", "2", "-o", html.toString());
  }

  @Test
  void everySectionIsThere() throws IOException {
    assertEquals(0, run.exitCode(), run.transcript());
    assertTrue(run.out().startsWith("wrote        " + html + " (5 layers, 3 schemes,"
        + " DoubleQExt curve on 40 test images)"), run.transcript());
    String page = Files.readString(html, StandardCharsets.UTF_8);
    // 5 layers × (weights, activation, SQNR) + layer SQNR + curve + energy
    assertEquals(5 * 3 + 3, count(page, "<svg "));
    for (String node : List.of("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm",
        "/fc3/Gemm")) {
      assertTrue(page.contains("Weights of " + node + " (POT 4-bit)"), node);
    }
    // the curve: all int8, then each of the 5 layers made PoT
    assertEquals(6, count(page, "<tr><td class=\"n\">") + count(page,
        "<tr class=\"chosen\"><td class=\"n\">"));
    assertTrue(page.contains("40 test images from fmnist-test-1000-images-idx3-ubyte.gz"),
        "says which test images were used");
    assertTrue(page.contains("bundled 256 calibration images"), "says offline tuning");
    for (String s : List.of("int8", "doubleqext", "pot4")) {
      assertTrue(page.contains("<td>" + s + "</td>"), "energy row " + s);
    }
  }

  @Test
  void aPackageIsReportedWithItsSchemeAndChecked() throws IOException {
    RequiredData.debianDir(FashionMnist.DEBIAN_DIR, FashionMnist.DEBIAN_PACKAGE);
    Path models = Files.createDirectories(dir.resolve("models"));
    Files.copy(Path.of("../models/lenet5.onnx"), models.resolve("lenet5.onnx"));
    Path pkg = dir.resolve("lenet5-upot3.potpkg");
    CliRun c = CliRun.of("compile", "--model", models.resolve("lenet5.onnx").toString(),
        "--scheme", "upot", "--bits", "3", "-o", pkg.toString());
    assertEquals(0, c.exitCode(), c.transcript());
    Path page = dir.resolve("upot3.html");
    // the ONNX model is found from the package's provenance: not beside it, so via --onnx
    CliRun missing = CliRun.of("report", "--model", pkg.toString(), "--schemes", "int8",
        "-o", page.toString());
    assertEquals(3, missing.exitCode(), missing.transcript());
    assertTrue(missing.err().contains("the report needs the ONNX model it was compiled from"
        + " ('lenet5'"), missing.transcript());
    CliRun r = CliRun.of("report", "--model", pkg.toString(), "--onnx",
        models.resolve("lenet5.onnx").toString(), "--schemes", "int8", "--threads", "2",
        "-o", page.toString());
    assertEquals(0, r.exitCode(), r.transcript());
    String text = Files.readString(page, StandardCharsets.UTF_8);
    assertTrue(text.contains("potaccel report: lenet5.onnx, upot3"), "title");
    assertTrue(text.contains("the commands and codebooks compiled here are identical to"
        + " lenet5-upot3.potpkg"), "the re-quantization matches the package");
    assertEquals(0, count(text, "id=\"doubleqext\""), "no curve without doubleqext");
  }

  @Test
  void headlessChromiumDrawsIt() throws Exception {
    assertEquals(0, run.exitCode(), run.transcript());
    Path png = dir.resolve("report.png");
    Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
    Path log = dir.resolve("chromium.log");
    Process p = new ProcessBuilder(requireChromium().toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
        "--screenshot=" + png, "--window-size=1280,2400", html.toUri().toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      Assertions.fail("chromium took over 120 s: " + Files.readString(log));
    }
    assertTrue(Files.isRegularFile(png), "no screenshot; chromium said: "
        + Files.readString(log));
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1280, image.getWidth());
    long nonWhite = 0;
    long histogramBlue = 0;
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xffffff;
        nonWhite += rgb != 0xffffff ? 1 : 0;
        colours.add(rgb & 0xf0f0f0);
        histogramBlue += near(rgb, 0x56b4e9) ? 1 : 0;
      }
    }
    double share = (double) nonWhite / ((long) image.getWidth() * image.getHeight());
    assertTrue(share > 0.04, "only " + share + " of the pixels are not white");
    assertTrue(colours.size() >= 12, "only " + colours.size() + " distinct colours");
    assertTrue(histogramBlue > 2000, "the histogram bars' blue covers " + histogramBlue
        + " pixels");
  }

  /** The browser, or a failure on CI and a skip elsewhere naming the package. */
  private static Path requireChromium() {
    if (Files.isExecutable(CHROMIUM)) {
      return CHROMIUM;
    }
    String msg = CHROMIUM + " is missing: install it with `apt-get install chromium` (bash .ci/run"
        + " does this)";
    if (RequiredData.onCi()) {
      Assertions.fail("CI=true: " + msg);
    }
    Assumptions.abort(msg);
    return null;
  }

  private static boolean near(int rgb, int target) {
    for (int shift = 0; shift <= 16; shift += 8) {
      if (Math.abs(((rgb >> shift) & 0xff) - ((target >> shift) & 0xff)) > 6) {
        return false;
      }
    }
    return true;
  }

  private static int count(String text, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
