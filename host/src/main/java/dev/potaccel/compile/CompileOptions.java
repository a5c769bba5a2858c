package dev.potaccel.compile;

import dev.potaccel.protocol.pkg.WeightTiling;
import java.util.Objects;

/**
 * What the compiler needs besides the quantized graph: provenance it cannot know and the weight
 * tiling of the target.
 *
 * @param modelName the model's name ({@code provenance.model_name}, and messages)
 * @param modelSha256 SHA-256 of the source model file, hex
 * @param toolVersion the potaccel version compiling
 * @param tiling PE columns ({@code P_out}) and burst the weights are packed for
 */
public record CompileOptions(String modelName, String modelSha256, String toolVersion,
    WeightTiling tiling) {
  public CompileOptions {
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(modelSha256, "modelSha256");
    Objects.requireNonNull(toolVersion, "toolVersion");
    Objects.requireNonNull(tiling, "tiling");
  }

  /** The default tiling ({@link WeightTiling#DEFAULT}: 16 output channels, 64-byte bursts). */
  public static CompileOptions of(String modelName, String modelSha256, String toolVersion) {
    return new CompileOptions(modelName, modelSha256, toolVersion, WeightTiling.DEFAULT);
  }
}
