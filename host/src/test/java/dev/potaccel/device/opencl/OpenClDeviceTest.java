package dev.potaccel.device.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.emulator.Codebooks;
import dev.potaccel.error.ErrorKind;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifests, the requirement check, program binaries and the cache, error messages and resource
 * release of the OpenCL device.
 */
class OpenClDeviceTest {
  private static ClDeviceInfo info;

  @BeforeAll
  static void gate() {
    info = dev.potaccel.testing.RequiredData.openClDevice();
  }

  /** A one-conv package tiled for {@code tiling} (INT8 weights). */
  static AcceleratorPackage conv(WeightTiling tiling) {
    TestPackage p = new TestPackage("tiny", tiling);
    int x = p.floats("x", 2, 3, 3);
    int xq = p.codes("xq", 8, true, 4, 2, 3, 3);
    int yq = p.codes("yq", 8, true, 3, 5, 3, 3);
    int y = p.floats("y", 5, 3, 3);
    int book = p.codebook(Codebooks.int8(8));
    int[] codes = new int[5 * 2 * 9];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (i * 37) % 256;
    }
    p.input(x).output(y);
    p.convert(x, xq);
    p.conv("conv", xq, yq, TestPackage.Geometry.same3x3(), book, codes, new int[] {1, 2, 3, 4, 5},
        new int[] {7}, Activation.RELU, 0);
    p.convert(yq, y);
    return p.build();
  }

  private static String manifestJson(String name, String file, String sha, String defines) {
    return """
        {"schema_version": 1, "name": "%s", "vendor": "other", "board": "test board",
         "contract_version": 1, "platform_pattern": "%s", "device_pattern": ".*",
         "kernels": ["decode_weights_f", "conv_f8", "pool", "add", "quantize", "dequantize"],
         "pe_array": {"rows": 4, "cols": 4, "pe_type": "multiplier"},
         "weight_formats": ["INT8"], "max_terms": 1,
         "buffers": {"weight_bytes": 65536, "activation_bytes": 65536, "accumulator_bytes": 1024},
         "burst_bytes": 16, "clock_mhz": 100, "defines": {%s},
         "binary": {"file": "%s", "sha256": "%s", "build_command": "make fake-board"}}
        """.formatted(name, java.util.regex.Pattern.quote(info.platformName()).replace("\\",
        "\\\\"), defines, file, sha);
  }

  @Test
  void bundledManifestsParse() {
    List<BitstreamManifest> all = BitstreamManifest.bundled();
    assertEquals(List.of("pocl-cpu", "intel-agilex-pac", "xilinx-alveo-u250"),
        all.stream().map(BitstreamManifest::name).toList());
    assertTrue(all.get(0).fromSource());
    assertEquals("unrecorded", all.get(1).sha256());
    assertTrue(all.get(0).kernels().containsAll(ManifestCheck.kernelsNeeded(
        conv(new WeightTiling(4, 16)))));
  }

  @Test
  void aBadManifestNamesTheField() {
    OpenClException e = assertThrows(OpenClException.class, () -> BitstreamManifest.parse(
        manifestJson("x", "source", "source", "").replace("\"burst_bytes\": 16,", ""), "m.json"));
    assertEquals("m.json: field 'burst_bytes' is missing", e.getMessage());
  }

  @Test
  void theRequirementCheckNamesEveryDifferingField() {
    BitstreamManifest intel = BitstreamManifest.bundled().get(1);
    List<String> diff = ManifestCheck.packageMismatches(conv(new WeightTiling(4, 16)), intel);
    assertEquals(2, diff.size(), diff.toString());
    assertTrue(diff.get(0).startsWith("pe_out: package weights are tiled for 4 PE columns,"
        + " bitstream 'intel-agilex-pac' has pe_array.cols 16"), diff.get(0));
    assertTrue(diff.get(1).startsWith("burst_bytes: package tiles are aligned to 16 bytes"),
        diff.get(1));
    assertEquals(List.of(), ManifestCheck.packageMismatches(conv(new WeightTiling(16, 64)),
        intel));
    assertEquals(List.of(), ManifestCheck.packageMismatches(conv(new WeightTiling(4, 16)),
        BitstreamManifest.bundled().get(0)), "a source build takes any tiling");
    assertFalse(ManifestCheck.deviceMismatches(info, intel).isEmpty());
  }

  @Test
  void aPackageTheBitstreamCannotRunIsRefusedBeforeLoading(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("fake.json"), manifestJson("fake-board", "fake.aocx",
        "unrecorded", ""));
    OpenClDevice.Options o = new OpenClDevice.Options(dir, null, "fake-board");
    try (OpenClDevice d = OpenClDevice.open(info.platformIndex(), info.deviceIndex(), o)) {
      OpenClException e = assertThrows(OpenClException.class,
          () -> d.load(conv(new WeightTiling(16, 64)), null));
      assertEquals(ErrorKind.DEVICE, e.kind());
      assertTrue(e.getMessage().contains("does not run on bitstream 'fake-board'")
          && e.getMessage().contains("pe_out: package weights are tiled for 16 PE columns,"
          + " bitstream 'fake-board' has pe_array.cols 4")
          && e.getMessage().contains("burst_bytes: package tiles are aligned to 64 bytes,"
          + " bitstream 'fake-board' bursts are 16 bytes"), e.getMessage());
    }
  }

  @Test
  void aMissingOrCorruptBinaryIsNamed(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("fake.json"), manifestJson("fake-board", "fake.aocx",
        "unrecorded", ""));
    OpenClDevice.Options o = new OpenClDevice.Options(dir, null, "fake-board");
    AcceleratorPackage pkg = conv(new WeightTiling(4, 16));
    try (OpenClDevice d = OpenClDevice.open(info.platformIndex(), info.deviceIndex(), o)) {
      OpenClException e = assertThrows(OpenClException.class, () -> d.load(pkg, null));
      assertTrue(e.getMessage().startsWith("bitstream 'fake-board' (test board) needs the binary "
          + dir.resolve("fake.aocx").toAbsolutePath() + ", which does not exist. Build it from"
          + " kernels-cl with: make fake-board"), e.getMessage());
    }
    byte[] junk = "not a program binary".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Files.write(dir.resolve("fake.aocx"), junk);
    Files.writeString(dir.resolve("fake.json"), manifestJson("fake-board", "fake.aocx",
        "0".repeat(64), ""));
    try (OpenClDevice d = OpenClDevice.open(info.platformIndex(), info.deviceIndex(), o)) {
      OpenClException e = assertThrows(OpenClException.class, () -> d.load(pkg, null));
      assertEquals(dir.resolve("fake.aocx") + ": sha256 " + ClProgram.sha256(junk)
          + " differs from the " + "0".repeat(64) + " that bitstream manifest 'fake-board' ("
          + dir.resolve("fake.json") + ") records: the binary is corrupt or from another build",
          e.getMessage());
    }
    Files.writeString(dir.resolve("fake.json"), manifestJson("fake-board", "fake.aocx",
        ClProgram.sha256(junk), ""));
    try (OpenClDevice d = OpenClDevice.open(info.platformIndex(), info.deviceIndex(), o)) {
      OpenClException e = assertThrows(OpenClException.class, () -> d.load(pkg, null));
      assertTrue(e.getMessage().startsWith("clCreateProgramWithBinary(bitstream binary "
          + dir.resolve("fake.aocx")) && e.getMessage().contains("CL_"), e.getMessage());
      assertTrue(e.code() < 0);
    }
  }

  @Test
  void aKernelThatDoesNotBuildShowsTheBuildLog(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("broken.json"), manifestJson("broken", "source", "source",
        "\"MAX_TERMS\": \"(\""));
    OpenClDevice.Options o = new OpenClDevice.Options(dir, null, "broken");
    try (OpenClDevice d = OpenClDevice.open(info.platformIndex(), info.deviceIndex(), o)) {
      OpenClException e = assertThrows(OpenClException.class,
          () -> d.load(conv(new WeightTiling(4, 16)), null));
      assertTrue(e.getMessage().startsWith("clBuildProgram(/dev/potaccel/kernels/potaccel.cl,"
          + " \"-cl-std=CL1.2 -DMAX_TERMS=( -DPE_OUT=4\")"), e.getMessage());
      assertTrue(e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE (-11)")
          && e.getMessage().contains("build log:\n"), e.getMessage());
    }
  }

  @Test
  void theSecondLoadComesFromTheProgramCache(@TempDir Path cache) {
    AcceleratorPackage pkg = conv(new WeightTiling(3, 16)); // P_out 3: a program of its own
    OpenClDevice.Options o = OpenClDevice.Options.defaults().withCacheDir(cache);
    long source;
    try (OpenClDevice d = OpenClDevice.open(info.platformIndex(), info.deviceIndex(), o);
        OpenClPackage p = d.load(pkg, null)) {
      assertFalse(p.programFromBinary(), p.programReport());
      source = p.programLoadNanos();
    }
    try (OpenClDevice d = OpenClDevice.open(info.platformIndex(), info.deviceIndex(), o);
        OpenClPackage p = d.load(pkg, null)) {
      assertTrue(p.programFromBinary(), p.programReport());
      System.out.printf("OpenCL program: from source %.1f ms, from the cache %.1f ms%n",
          source / 1e6, p.programLoadNanos() / 1e6);
    }
  }

  @Test
  void errorsNameTheDeviceAndClosedObjectsRefuseWork() {
    OpenClException e = assertThrows(OpenClException.class,
        () -> OpenClDevice.open(info.platformIndex(), 99, OpenClTesting.options()));
    assertTrue(e.getMessage().startsWith("no OpenCL device opencl:" + info.platformIndex()
        + ":99; devices: " + info.spec()), e.getMessage());
    AcceleratorPackage pkg = conv(new WeightTiling(4, 16));
    OpenClDevice d = OpenClDevice.open(info.platformIndex(), info.deviceIndex(),
        OpenClTesting.options());
    OpenClPackage p = d.load(pkg, null);
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> p.run(2, List.of(new float[18])));
    assertEquals("package 'tiny': input 0 'x' has 18 values; batch 2 x [2, 3, 3] needs 36",
        bad.getMessage());
    p.close();
    p.close();
    assertThrows(IllegalStateException.class, () -> p.run(1, List.of(new float[18])));
    d.close();
    d.close();
    assertThrows(IllegalStateException.class, () -> d.load(pkg, null));
  }
}
