package dev.potaccel.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What the sidecar {@code <model>.json} written at training time says about a model: how to turn
 * pixels into its input ({@code (pixel/255 - mean[c]) / std[c]}), the class names, and the FP32
 * top-1 accuracy measured on the full test set. Keys this record does not use are ignored.
 *
 * @param inputShape the declared input shape, -1 for a dynamic dimension; empty when not given
 * @param mean per-channel mean (one value applies to every channel)
 * @param std per-channel standard deviation, same length as {@code mean}
 * @param channels 1 (grayscale) or 3 (RGB); 0 when the metadata does not say
 * @param classes class names by index; empty when not given
 */
public record ModelMetadata(String name, String inputName, int[] inputShape, float[] mean,
    float[] std, int channels, List<String> classes, OptionalDouble fp32Top1) {

  public ModelMetadata {
    inputShape = inputShape.clone();
    mean = mean.clone();
    std = std.clone();
    classes = List.copyOf(classes);
    if (mean.length == 0 || mean.length != std.length) {
      throw new IllegalArgumentException("mean " + Arrays.toString(mean) + " and std "
          + Arrays.toString(std) + " need the same, non-zero length");
    }
    for (float s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("std " + Arrays.toString(std) + " must be positive");
      }
    }
  }

  /** Metadata for a model without a sidecar: pixels scaled to [0,1], classes numbered. */
  public static ModelMetadata none(String name) {
    return new ModelMetadata(name, "", new int[0], new float[] {0f}, new float[] {1f}, 0,
        List.of(), OptionalDouble.empty());
  }

  /** The name of class {@code index}, or "class 7" when the metadata has no name for it. */
  public String className(int index) {
    return index >= 0 && index < classes.size() ? classes.get(index) : "class " + index;
  }

  /** The sidecar of {@code model}: {@code lenet5.json} beside {@code lenet5.onnx}, if present. */
  public static Optional<ModelMetadata> readSidecar(Path model) {
    String file = model.getFileName().toString();
    int dot = file.lastIndexOf('.');
    Path json = model.resolveSibling((dot > 0 ? file.substring(0, dot) : file) + ".json");
    return Files.isRegularFile(json) ? Optional.of(read(json)) : Optional.empty();
  }

  /** @throws InputFileException when the file is missing, not JSON, or has wrong values */
  public static ModelMetadata read(Path json) {
    try {
      return parse(Files.readString(json, StandardCharsets.UTF_8), json.toString());
    } catch (IOException e) {
      throw InputFileException.io(json, e);
    }
  }

  /** Parses metadata JSON; {@code source} names it in messages. */
  public static ModelMetadata parse(String json, String source) {
    JsonObject root;
    try {
      JsonElement e = JsonParser.parseString(json);
      if (!e.isJsonObject()) {
        throw new InputFileException(source + ": model metadata must be a JSON object");
      }
      root = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new InputFileException(source + ": not valid JSON: " + e.getMessage(), e);
    }
    Fields top = new Fields(root, source, "");
    Fields input = top.object("input");
    float[] mean = input.floats("mean", new float[] {0f});
    float[] std = input.floats("std", new float[] {1f});
    if (mean.length != std.length) {
      throw new InputFileException(source + ": input.mean has " + mean.length
          + " values, input.std " + std.length + "; they must match");
    }
    for (float s : std) {
      if (!(s > 0)) {
        throw new InputFileException(source + ": input.std " + Arrays.toString(std)
            + " must be positive");
      }
    }
    List<String> classes = new ArrayList<>();
    JsonArray names = top.array("classes");
    for (int i = 0; i < names.size(); i++) {
      classes.add(top.string(names.get(i), "classes[" + i + "]"));
    }
    OptionalDouble top1 = root.has("fp32_top1")
        ? OptionalDouble.of(top.number(root.get("fp32_top1"), "fp32_top1"))
        : OptionalDouble.empty();
    return new ModelMetadata(top.string("name", ""), input.string("name", ""),
        input.ints("shape"), mean, std, input.channels(), classes, top1);
  }

  /** Typed access to one JSON object, with messages naming the field path. */
  private record Fields(JsonObject obj, String source, String path) {
    Fields object(String key) {
      JsonElement e = obj.get(key);
      if (e == null || e.isJsonNull()) {
        return new Fields(new JsonObject(), source, path + key + ".");
      }
      if (!e.isJsonObject()) {
        throw wrong(key, "an object", e);
      }
      return new Fields(e.getAsJsonObject(), source, path + key + ".");
    }

    JsonArray array(String key) {
      JsonElement e = obj.get(key);
      if (e == null || e.isJsonNull()) {
        return new JsonArray();
      }
      if (!e.isJsonArray()) {
        throw wrong(key, "an array", e);
      }
      return e.getAsJsonArray();
    }

    String string(String key, String absent) {
      JsonElement e = obj.get(key);
      return e == null || e.isJsonNull() ? absent : string(e, path + key);
    }

    String string(JsonElement e, String where) {
      if (!(e instanceof JsonPrimitive p) || !p.isString()) {
        throw new InputFileException(source + ": " + where + " must be a string, found " + e);
      }
      return p.getAsString();
    }

    double number(JsonElement e, String where) {
      if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
        throw new InputFileException(source + ": " + where + " must be a number, found " + e);
      }
      return p.getAsDouble();
    }

    /** A number or an array of numbers. */
    float[] floats(String key, float[] absent) {
      JsonElement e = obj.get(key);
      if (e == null || e.isJsonNull()) {
        return absent;
      }
      if (e.isJsonPrimitive()) {
        return new float[] {(float) number(e, path + key)};
      }
      JsonArray a = array(key);
      float[] v = new float[a.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) number(a.get(i), path + key + "[" + i + "]");
      }
      return v;
    }

    int[] ints(String key) {
      JsonArray a = array(key);
      int[] v = new int[a.size()];
      for (int i = 0; i < v.length; i++) {
        double d = number(a.get(i), path + key + "[" + i + "]");
        if (d != Math.rint(d) || d < -1 || d > Integer.MAX_VALUE) {
          throw new InputFileException(source + ": " + path + key + "[" + i + "] = " + d
              + " is not a dimension (a non-negative integer, or -1 for dynamic)");
        }
        v[i] = (int) d;
      }
      return v;
    }

    /** "channels": 1, 3, "grayscale"/"gray"/"L" or "rgb"; 0 when absent. */
    int channels() {
      JsonElement e = obj.get("channels");
      if (e == null || e.isJsonNull()) {
        return 0;
      }
      if (e instanceof JsonPrimitive p && p.isNumber()) {
        int c = p.getAsInt();
        if (c == 1 || c == 3) {
          return c;
        }
      } else if (e instanceof JsonPrimitive p && p.isString()) {
        switch (p.getAsString().toLowerCase(Locale.ROOT)) {
          case "grayscale", "greyscale", "gray", "grey", "l" -> {
            return 1;
          }
          case "rgb" -> {
            return 3;
          }
          default -> {
            // fall through to the error below
          }
        }
      }
      throw wrong("channels", "1, 3, \"grayscale\" or \"rgb\"", e);
    }

    private InputFileException wrong(String key, String wanted, JsonElement found) {
      return new InputFileException(source + ": " + path + key + " must be " + wanted
          + ", found " + found);
    }
  }
}
