package dev.potaccel.device.opencl;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One accelerator build, as a bitstream manifest describes it (schema version 1,
 * bitstreams/src/main/resources/dev/potaccel/bitstreams/manifest.schema.json; docs/opencl.md):
 * which OpenCL platform and device run it, its kernels, PE array, weight formats, on-chip buffers,
 * burst, clock, and the binary that programs it with its SHA-256, or {@code "source"} for a build
 * from the kernels-cl sources at load time (PoCL, development).
 *
 * @param source where the manifest was read from, for messages
 * @param peType "multiplier", "shift", "shift_add_k" or "multiplier+shift_add_k"
 * @param defines the -D defines the kernels are built with (a source build adds PE_OUT from the
 *     package)
 * @param binaryFile the binary's file name, or "source"
 * @param sha256 the binary's SHA-256 (hex), "source", or "unrecorded" (not yet built)
 * @param buildCommand how to build the binary, quoted in the message when it is missing
 */
public record BitstreamManifest(String source, String name, String description, String vendor,
    String board, int contractVersion, Pattern platformPattern, Pattern devicePattern,
    List<String> kernels, int peRows, int peCols, String peType, Set<String> weightFormats,
    int maxTerms, long weightBufferBytes, long activationBufferBytes, long accumulatorBufferBytes,
    int burstBytes, double clockMhz, Map<String, String> defines, String binaryFile,
    String sha256, String buildCommand) {

  /** The manifest schema version this reader implements. */
  public static final int SCHEMA_VERSION = 1;

  /** Where the bundled manifests live on the classpath (the bitstreams module's jar). */
  static final String RESOURCE_DIR = "/dev/potaccel/bitstreams/";

  /** True when the kernels are built from source at load time (no binary file). */
  public boolean fromSource() {
    return "source".equals(binaryFile);
  }

  /** Whether this build runs on {@code d}: both name patterns match (regex find). */
  public boolean matches(ClDeviceInfo d) {
    return platformPattern.matcher(d.platformName()).find()
        && devicePattern.matcher(d.deviceName()).find();
  }

  /** The manifests bundled in the bitstreams jar, in index order. */
  public static List<BitstreamManifest> bundled() {
    List<BitstreamManifest> out = new ArrayList<>();
    for (String file : resourceLines(RESOURCE_DIR + "index.txt")) {
      out.add(parse(resource(RESOURCE_DIR + file), "bitstreams:" + file));
    }
    return out;
  }

  /**
   * The bundled manifests, each replaced by a file of the same name in {@code dir} when there is
   * one (a board build records its binary's sha256 there), plus any other {@code *.json} manifest
   * in {@code dir}.
   */
  public static List<BitstreamManifest> available(Path dir) {
    Map<String, BitstreamManifest> byName = new LinkedHashMap<>();
    for (BitstreamManifest m : bundled()) {
      byName.put(m.name(), m);
    }
    if (dir != null && Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
          BitstreamManifest m = read(f);
          byName.put(m.name(), m);
        }
      } catch (IOException e) {
        throw new OpenClException(dir + ": cannot list bitstream manifests: " + e.getMessage(), e);
      }
    }
    return List.copyOf(byName.values());
  }

  /** Reads a manifest file. */
  public static BitstreamManifest read(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new OpenClException(file + ": cannot read bitstream manifest: " + e.getMessage(), e);
    }
  }

  /**
   * Parses manifest JSON.
   *
   * @throws OpenClException naming {@code source} and the field when a field is missing, of the
   *     wrong type or out of range, or the schema version is not {@value #SCHEMA_VERSION}
   */
  public static BitstreamManifest parse(String json, String source) {
    JsonObject o;
    try {
      o = JsonParser.parseString(json).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new OpenClException(source + ": not a JSON object: " + e.getMessage(), e);
    }
    Fields f = new Fields(o, source);
    int schema = f.integer(o, "schema_version", 1, Integer.MAX_VALUE);
    if (schema != SCHEMA_VERSION) {
      throw new OpenClException(source + ": schema_version " + schema + "; this potaccel reads"
          + " manifest schema version " + SCHEMA_VERSION);
    }
    JsonObject pe = f.object(o, "pe_array");
    JsonObject buffers = f.object(o, "buffers");
    JsonObject binary = f.object(o, "binary");
    Map<String, String> defines = new TreeMap<>();
    if (o.has("defines")) {
      for (Map.Entry<String, JsonElement> e : f.object(o, "defines").entrySet()) {
        defines.put(e.getKey(), e.getValue().getAsString());
      }
    }
    String sha = f.string(binary, "sha256");
    if (!sha.matches("source|unrecorded|[0-9a-f]{64}")) {
      throw new OpenClException(source + ": binary.sha256 '" + sha + "' is not 64 lowercase hex"
          + " digits, \"source\" or \"unrecorded\"");
    }
    String file = f.string(binary, "file");
    if (file.equals("source") != sha.equals("source")) {
      throw new OpenClException(source + ": binary.file '" + file + "' and binary.sha256 '" + sha
          + "': both are \"source\" for a build from source, or neither");
    }
    String peType = f.string(pe, "pe_type");
    if (!Set.of("multiplier", "shift", "shift_add_k", "multiplier+shift_add_k").contains(peType)) {
      throw new OpenClException(source + ": pe_array.pe_type '" + peType + "' is not one of"
          + " multiplier, shift, shift_add_k, multiplier+shift_add_k");
    }
    Set<String> formats = new java.util.TreeSet<>(f.strings(o, "weight_formats"));
    for (String w : formats) {
      if (!Set.of("INT8", "POT", "TERMS", "LUT").contains(w)) {
        throw new OpenClException(source + ": weight_formats has '" + w + "'; formats are INT8,"
            + " POT, TERMS, LUT");
      }
    }
    return new BitstreamManifest(source, f.string(o, "name"),
        o.has("description") ? f.string(o, "description") : "", f.string(o, "vendor"),
        f.string(o, "board"), f.integer(o, "contract_version", 1, Integer.MAX_VALUE),
        f.pattern(o, "platform_pattern"), f.pattern(o, "device_pattern"),
        List.copyOf(f.strings(o, "kernels")), f.integer(pe, "rows", 1, 4096),
        f.integer(pe, "cols", 1, 4096), peType, Set.copyOf(formats),
        f.integer(o, "max_terms", 1, 3), f.longValue(buffers, "weight_bytes"),
        f.longValue(buffers, "activation_bytes"), f.longValue(buffers, "accumulator_bytes"),
        f.integer(o, "burst_bytes", 1, 1 << 20), f.number(o, "clock_mhz"), Map.copyOf(defines),
        file, sha, binary.has("build_command") ? f.string(binary, "build_command") : "");
  }

  /** Typed field access whose failures name the manifest and the field. */
  private record Fields(JsonObject root, String source) {
    private OpenClException bad(String field, String what) {
      return new OpenClException(source + ": field '" + field + "' " + what);
    }

    private JsonElement get(JsonObject o, String field) {
      JsonElement e = o.get(field);
      if (e == null || e.isJsonNull()) {
        throw bad(field, "is missing");
      }
      return e;
    }

    JsonObject object(JsonObject o, String field) {
      JsonElement e = get(o, field);
      if (!e.isJsonObject()) {
        throw bad(field, "must be an object");
      }
      return e.getAsJsonObject();
    }

    String string(JsonObject o, String field) {
      JsonElement e = get(o, field);
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
        throw bad(field, "must be a string");
      }
      return e.getAsString();
    }

    List<String> strings(JsonObject o, String field) {
      JsonElement e = get(o, field);
      if (!e.isJsonArray() || e.getAsJsonArray().isEmpty()) {
        throw bad(field, "must be a non-empty array of strings");
      }
      List<String> out = new ArrayList<>();
      for (JsonElement x : (JsonArray) e) {
        out.add(x.getAsString());
      }
      return out;
    }

    double number(JsonObject o, String field) {
      JsonElement e = get(o, field);
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsDouble() <= 0) {
        throw bad(field, "must be a number > 0");
      }
      return e.getAsDouble();
    }

    long longValue(JsonObject o, String field) {
      double v = number(o, field);
      if (v != Math.rint(v)) {
        throw bad(field, "must be a whole number of bytes");
      }
      return (long) v;
    }

    int integer(JsonObject o, String field, int min, int max) {
      double v = get(o, field).isJsonPrimitive() && get(o, field).getAsJsonPrimitive().isNumber()
          ? get(o, field).getAsDouble() : Double.NaN;
      if (!(v >= min && v <= max) || v != Math.rint(v)) {
        throw bad(field, "must be an integer between " + min + " and " + max + ", got "
            + get(o, field));
      }
      return (int) v;
    }

    Pattern pattern(JsonObject o, String field) {
      String s = string(o, field);
      try {
        return Pattern.compile(s);
      } catch (PatternSyntaxException e) {
        throw bad(field, "is not a valid regular expression: " + e.getDescription());
      }
    }
  }

  static String resource(String path) {
    try (InputStream in = BitstreamManifest.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new OpenClException("classpath resource " + path + " is missing: the"
            + " potaccel-bitstreams / potaccel-kernels-cl jar is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new OpenClException("cannot read classpath resource " + path + ": " + e.getMessage(),
          e);
    }
  }

  private static List<String> resourceLines(String path) {
    return resource(path).lines().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }

  @Override
  public String toString() {
    return name + " (" + vendor + ", " + board + ")";
  }
}
