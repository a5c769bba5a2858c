package dev.potaccel.compile;

import com.google.protobuf.ByteString;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.HostGraph;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.protocol.pkg.PackageValidator;
import dev.potaccel.protocol.pkg.Provenance;
import dev.potaccel.protocol.pkg.Requirements;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.quantize.QuantizedGraph;
import java.util.zip.CRC32;

/**
 * Compiles a quantized graph into an accelerator package (docs/accelerator.md): Conv (with a
 * following ReLU, Clip(0, 6) or power-of-two LeakyReLU fused) and Gemm (as a 1x1 conv over the
 * flattened [K] view) become CONV commands with per-channel requantization shifts; MaxPool,
 * AveragePool and GlobalAveragePool POOL commands; Add of two tensors an ADD; Flatten and Reshape
 * of the batch-major data free RESHAPE views; everything else HOST commands over FP32 buffers,
 * their nodes stored as an ONNX model in {@code host_graph}. Model inputs and outputs are FP32
 * buffers with CONVERT commands to and from codes.
 *
 * <p>Before packing a layer the compiler proves its int32 accumulator cannot overflow (§1.4).
 * Weights are packed with {@link dev.potaccel.protocol.pkg.WeightPacker} at the target's tiling,
 * every region burst-aligned. Every CONV gets a tile schedule that fits the target's weight and
 * activation buffers (§4.1), recorded with the buffer sizes in the requirements: a layer too large
 * is split into weight passes and row bands, never refused unless one weight tile or one output
 * row cannot fit. The result is checked with {@link PackageValidator#checkPackedCodes} before it
 * is returned.
 */
public final class PackageCompiler {
  private PackageCompiler() {}

  /**
   * @throws CompileException for a layer whose accumulator could overflow (naming layer and
   *     channel), a value without a calibrated range, a dynamic shape other than the batch, or a
   *     layer whose single weight tile or output row does not fit the target's buffers
   */
  public static CompiledPackage compile(QuantizedGraph q, CompileOptions opts) {
    Lowering l = new Lowering(q, opts).run();
    ByteString weights = ByteString.copyFrom(l.weights.toByteArray());
    ByteString biases = ByteString.copyFrom(l.biases.toByteArray());
    long largestActivation = 0;
    for (var b : l.buffers) {
      if (!b.getIsFloat()) {
        long n = 1;
        for (int d : b.getShapeList()) {
          n *= d;
        }
        largestActivation = Math.max(largestActivation, n);
      }
    }
    Requirements.Builder req = Requirements.newBuilder()
        .setPeOut(opts.tiling().peOut()).setBurstBytes(opts.tiling().burstBytes())
        .setMaxWeightTileBytes(l.maxTileBytes)
        .setMaxActivationBytesPerImage(largestActivation)
        .setWeightBufferBytes(opts.buffers().weightBytes())
        .setActivationBufferBytes(opts.buffers().activationBytes());
    if (l.maxTerms > 0) {
      req.setMaxTerms(l.maxTerms);
    }
    for (WeightFormat f : WeightFormat.values()) {
      if (l.formats.contains(f)) {
        req.addWeightFormats(f);
      }
    }
    AcceleratorPackage.Builder p = AcceleratorPackage.newBuilder()
        .setFormatVersion(PackageFile.FORMAT_VERSION)
        .setContractVersion(PackageFile.CONTRACT_VERSION)
        .setLayoutVersion(PackageFile.LAYOUT_VERSION)
        .setProvenance(Provenance.newBuilder().setModelName(opts.modelName())
            .setModelSha256(opts.modelSha256()).setScheme(q.scheme().id())
            .putAllSchemeParameters(q.parameters())
            .setCalibrationSha256(q.calibrationSha256())
            .setCalibrationImages(q.calibrationImages()).setToolVersion(opts.toolVersion()))
        .setRequirements(req)
        .addAllBuffers(l.buffers).addAllCommands(l.commands).addAllCodebooks(l.codebooks)
        .setWeights(weights).setWeightsCrc32(crc32(weights))
        .setBiases(biases).setBiasesCrc32(crc32(biases))
        .addAllInputBuffers(l.inputBuffers).addAllOutputBuffers(l.outputBuffers);
    ByteString hostGraph = l.hostGraph();
    if (!hostGraph.isEmpty()) {
      p.setHostGraph(HostGraph.newBuilder().setOnnxModel(hostGraph));
    }
    AcceleratorPackage pkg = p.build();
    PackageValidator.checkPackedCodes(pkg, opts.modelName() + " (as compiled)");
    return new CompiledPackage(pkg, l.layers);
  }

  private static int crc32(ByteString bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes.asReadOnlyByteBuffer());
    return (int) crc.getValue();
  }
}
