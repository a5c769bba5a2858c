package dev.potaccel.device.opencl;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.Requirements;
import dev.potaccel.protocol.pkg.WeightFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks, before anything is programmed or allocated, that a bitstream build can run a package and
 * that a device is the one the build is for. Each check returns every differing field, so one
 * message tells a user all they must change (recompile for another P_out, choose another
 * bitstream, ...).
 */
public final class ManifestCheck {
  private ManifestCheck() {}

  /**
   * The fields where {@code m} does not meet {@code pkg}'s requirements (docs/accelerator.md §5,
   * §4.1), one line each naming the package field, its value and the manifest's; empty when the
   * build runs the package. A source build (PoCL) is compiled for the package's P_out and burst,
   * so those two are not compared for it.
   */
  public static List<String> packageMismatches(AcceleratorPackage pkg, BitstreamManifest m) {
    Requirements r = pkg.getRequirements();
    List<String> out = new ArrayList<>();
    if (pkg.getContractVersion() != m.contractVersion()) {
      out.add("contract_version: package " + pkg.getContractVersion() + ", bitstream '"
          + m.name() + "' " + m.contractVersion());
    }
    Set<String> missing = new TreeSet<>();
    for (WeightFormat f : r.getWeightFormatsList()) {
      if (!m.weightFormats().contains(f.name())) {
        missing.add(f.name());
      }
    }
    for (Command c : pkg.getCommandsList()) { // also the codebooks actually used
      if (c.hasConv() && c.getConv().getCodebook() < pkg.getCodebooksCount()) {
        String f = pkg.getCodebooks(c.getConv().getCodebook()).getFormat().name();
        if (!m.weightFormats().contains(f)) {
          missing.add(f);
        }
      }
    }
    if (!missing.isEmpty()) {
      out.add("weight_formats: package needs " + missing + ", bitstream '" + m.name()
          + "' has " + new TreeSet<>(m.weightFormats()));
    }
    if (r.getMaxTerms() > m.maxTerms()) {
      out.add("max_terms: package needs " + r.getMaxTerms() + " terms, bitstream '" + m.name()
          + "' has " + m.maxTerms());
    }
    if (!m.fromSource()) {
      if (r.getPeOut() != m.peCols()) {
        out.add("pe_out: package weights are tiled for " + r.getPeOut() + " PE columns,"
            + " bitstream '" + m.name() + "' has pe_array.cols " + m.peCols()
            + " (recompile with potaccel compile --accelerator for pe_cols = " + m.peCols()
            + ")");
      }
      if (r.getBurstBytes() != m.burstBytes()) {
        out.add("burst_bytes: package tiles are aligned to " + r.getBurstBytes() + " bytes,"
            + " bitstream '" + m.name() + "' bursts are " + m.burstBytes() + " bytes");
      }
    }
    if (r.getWeightBufferBytes() > m.weightBufferBytes()) {
      out.add("weight_buffer_bytes: package schedules need " + r.getWeightBufferBytes()
          + " bytes, bitstream '" + m.name() + "' has " + m.weightBufferBytes());
    }
    if (r.getActivationBufferBytes() > m.activationBufferBytes()) {
      out.add("activation_buffer_bytes: package schedules need " + r.getActivationBufferBytes()
          + " bytes, bitstream '" + m.name() + "' has " + m.activationBufferBytes());
    }
    if (r.getMaxWeightTileBytes() > m.weightBufferBytes()) {
      out.add("max_weight_tile_bytes: package has a weight tile of " + r.getMaxWeightTileBytes()
          + " bytes, bitstream '" + m.name() + "' weight buffer is " + m.weightBufferBytes());
    }
    List<String> needed = kernelsNeeded(pkg);
    List<String> absent = needed.stream().filter(k -> !m.kernels().contains(k)).toList();
    if (!absent.isEmpty()) {
      out.add("kernels: package needs " + absent + ", not in bitstream '" + m.name() + "'");
    }
    return out;
  }

  /**
   * The fields where device {@code d} differs from what build {@code m} is for: platform and device
   * names against the manifest's patterns, byte order, a compiler for a source build.
   */
  public static List<String> deviceMismatches(ClDeviceInfo d, BitstreamManifest m) {
    List<String> out = new ArrayList<>();
    if (!m.platformPattern().matcher(d.platformName()).find()) {
      out.add("platform: device " + d.spec() + " is on '" + d.platformName() + "', bitstream '"
          + m.name() + "' needs platform_pattern /" + m.platformPattern() + "/");
    }
    if (!m.devicePattern().matcher(d.deviceName()).find()) {
      out.add("device: " + d.spec() + " is '" + d.deviceName() + "', bitstream '" + m.name()
          + "' needs device_pattern /" + m.devicePattern() + "/");
    }
    if (!d.littleEndian()) {
      out.add("byte order: device " + d.spec() + " is big-endian; the package's int32 biases"
          + " are little-endian");
    }
    if (m.fromSource() && !d.compilerAvailable()) {
      out.add("compiler: bitstream '" + m.name() + "' builds from source, device " + d.spec()
          + " has no OpenCL C compiler");
    }
    return out;
  }

  /** The kernel names a package's commands launch (without unpack_weights, a test aid). */
  public static List<String> kernelsNeeded(AcceleratorPackage pkg) {
    Set<String> k = new TreeSet<>();
    byte[] weights = pkg.getWeights().toByteArray();
    byte[] biases = pkg.getBiases().toByteArray();
    for (Command c : pkg.getCommandsList()) {
      switch (c.getOpCase()) {
        case CONV -> {
          if (c.getConv().getCodebook() < pkg.getCodebooksCount()) {
            ConvLayer l = ConvLayer.decode("command '" + c.getName() + "'", pkg, c.getConv(),
                weights, biases);
            k.add(l.kernel());
            k.add(l.decodeKernel());
          }
        }
        case POOL -> k.add("pool");
        case ADD -> k.add("add");
        case CONVERT -> {
          int in = c.getConvert().getInput();
          boolean quantize = in < pkg.getBuffersCount() && pkg.getBuffers(in).getIsFloat();
          k.add(quantize ? "quantize" : "dequantize");
        }
        default -> { }
      }
    }
    return List.copyOf(k);
  }
}
