package dev.potaccel.arch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Data flows one way: a host package may import the packages before it in {@link #ORDER}, never
 * the ones after. A plain import scan of the sources, so no extra test library is needed.
 */
class PackageDirectionTest {
  static final List<String> ORDER = List.of("graph", "onnx", "cpu", "data", "calibrate",
      "quantize", "compile", "device", "partition", "report", "cli");
  static final Pattern IMPORT = Pattern.compile("^import (?:static )?dev\\.potaccel\\.(\\w+)",
      Pattern.MULTILINE);

  @Test
  void packagesOnlyUseEarlierSteps() throws IOException {
    Path src = Path.of("src/main/java/dev/potaccel");
    List<String> violations = new ArrayList<>();
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String pkg = src.relativize(f).getName(0).toString();
        int from = ORDER.indexOf(pkg);
        if (from < 0) {
          continue;
        }
        Matcher m = IMPORT.matcher(Files.readString(f));
        while (m.find()) {
          int to = ORDER.indexOf(m.group(1));
          if (to > from) {
            violations.add(src.relativize(f) + " imports dev.potaccel." + m.group(1));
          }
        }
      }
    }
    assertTrue(violations.isEmpty(), "imports against the flow: " + violations);
  }
}
