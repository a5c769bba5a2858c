package dev.potaccel.compile;

import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.protocol.pkg.TileScheduler.BufferSizes;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.util.Objects;

/**
 * What the compiler needs besides the quantized graph: provenance it cannot know and the target
 * accelerator. Until bitstream manifests exist, an {@link AcceleratorDescription} stands for the
 * target's manifest: its PE columns and burst tile the weights (docs/accelerator.md §4), its
 * weight and activation buffers bound every conv's tile schedule (§4.1).
 *
 * @param modelName the model's name ({@code provenance.model_name}, and messages)
 * @param modelSha256 SHA-256 of the source model file, hex
 * @param toolVersion the potaccel version compiling
 * @param target the accelerator the package is compiled for
 */
public record CompileOptions(String modelName, String modelSha256, String toolVersion,
    AcceleratorDescription target) {
  public CompileOptions {
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(modelSha256, "modelSha256");
    Objects.requireNonNull(toolVersion, "toolVersion");
    Objects.requireNonNull(target, "target");
  }

  /**
   * The default target ({@link AcceleratorDescription#DEFAULT}: 16 output channels per tile,
   * 64-byte bursts, 256 KiB weight and activation buffers).
   */
  public static CompileOptions of(String modelName, String modelSha256, String toolVersion) {
    return new CompileOptions(modelName, modelSha256, toolVersion, AcceleratorDescription.DEFAULT);
  }

  /** This options' provenance for another target. */
  public CompileOptions withTarget(AcceleratorDescription other) {
    return new CompileOptions(modelName, modelSha256, toolVersion, other);
  }

  /** The weight tiling: the target's PE columns ({@code P_out}) and burst. */
  public WeightTiling tiling() {
    return new WeightTiling(target.peCols(), target.burstBytes());
  }

  /** The on-chip buffers every conv's tile schedule must fit. */
  public BufferSizes buffers() {
    return new BufferSizes(target.weightBufferBytes(), target.activationBufferBytes());
  }
}
