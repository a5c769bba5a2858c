package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.device.opencl.ClDeviceInfo;
import dev.potaccel.testing.RequiredData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code potaccel devices}, {@code run --device opencl} and {@code profile --device opencl}. */
class OpenClCommandsTest {
  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    System.setProperty("potaccel.opencl.cache", "target/opencl-cache");
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void devicesListsTheOpenClDeviceWithItsManifest() {
    ClDeviceInfo d = RequiredData.openClDevice();
    Result r = run("devices");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(d.spec() + "  " + d.type() + "  " + d.deviceName()), r.out());
    assertTrue(r.out().contains("bitstream: pocl-cpu (built from source)"), r.out());
    assertTrue(r.out().contains("potaccel-intel-agilex-pac.aocx (missing in"), r.out());
  }

  @Test
  void runAndProfileOnOpenCl(@TempDir Path dir) {
    RequiredData.openClDevice();
    Path pkg = dir.resolve("lenet5.potpkg");
    Result c = run("compile", "--model", "../models/lenet5.onnx", "-o", pkg.toString());
    assertEquals(0, c.code(), c.err());
    Result emu = run("run", "--model", pkg.toString(), "--device", "emulator");
    Result cl = run("run", "--model", pkg.toString(), "--device", "opencl:0:0");
    assertEquals(0, cl.code(), cl.err());
    assertEquals(emu.out(), cl.out(), "the same top-3 and scores as the emulator");
    Result p = run("profile", "--model", pkg.toString(), "--device", "opencl", "--batch", "8",
        "--runs", "1");
    assertEquals(0, p.code(), p.err());
    assertTrue(p.out().contains("conv_") && p.out().contains("total device time"), p.out());
    Result bad = run("run", "--model", pkg.toString(), "--device", "opencl:7");
    assertEquals(4, bad.code(), bad.err());
    assertTrue(bad.err().startsWith("error: no OpenCL device opencl:7:0; devices: "), bad.err());
  }
}
