package dev.potaccel.cli;

import dev.potaccel.device.opencl.BitstreamManifest;
import dev.potaccel.device.opencl.ClDeviceInfo;
import dev.potaccel.device.opencl.ManifestCheck;
import dev.potaccel.device.opencl.OpenClDevice;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel devices}: the devices a model can run on. The CPU engine and the emulator are
 * always there; every OpenCL platform and device is listed with its {@code --device
 * opencl:P:D} form and the bitstream manifests that match it, then every manifest with its PE
 * array, formats and whether its binary is present.
 */
@Command(name = "devices",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"List the devices: cpu, emulator, every OpenCL platform and device with the"
        + " bitstream manifests that match it, and the manifests themselves."})
final class DevicesCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    out.println("cpu          the FP32 reference engine (ONNX models)");
    out.println("emulator     the bit-exact accelerator emulator (packages; ONNX compiled in"
        + " memory)");
    Path dir = OpenClDevice.defaultBitstreamDir();
    List<BitstreamManifest> manifests = BitstreamManifest.available(dir);
    List<ClDeviceInfo> devices = OpenClDevice.devices();
    if (devices.isEmpty()) {
      out.println("opencl       no OpenCL platform installed (Debian: apt-get install"
          + " pocl-opencl-icd ocl-icd-opencl-dev clinfo)");
    }
    for (ClDeviceInfo d : devices) {
      out.println(d.summary());
      List<String> matching = manifests.stream()
          .filter(m -> ManifestCheck.deviceMismatches(d, m).isEmpty())
          .map(m -> m.name() + (m.fromSource() ? " (built from source)" : " (binary "
              + m.binaryFile() + ")"))
          .toList();
      out.println("    bitstream: " + (matching.isEmpty() ? "none matches this device"
          : String.join(", ", matching)));
    }
    out.println();
    out.println("bitstream manifests (bundled; overridden by " + dir + "/*.json):");
    for (BitstreamManifest m : manifests) {
      String binary = m.fromSource() ? "kernels built from source at load time (cached)"
          : m.binaryFile() + (Files.isRegularFile(dir.resolve(m.binaryFile())) ? " (present)"
          : " (missing in " + dir + "; build: " + m.buildCommand() + ")");
      out.printf(Locale.ROOT, "  %-18s %-6s %s%n", m.name(), m.vendor(), m.board());
      out.printf(Locale.ROOT, "      PE %dx%d %s, %s, k <= %d, weight buffer %d KiB, activation"
              + " buffer %d KiB, burst %d B, %.0f MHz%n", m.peRows(), m.peCols(), m.peType(),
          String.join("/", new java.util.TreeSet<>(m.weightFormats())), m.maxTerms(),
          m.weightBufferBytes() >> 10, m.activationBufferBytes() >> 10, m.burstBytes(),
          m.clockMhz());
      out.println("      binary: " + binary);
    }
    out.flush();
    return 0;
  }
}
