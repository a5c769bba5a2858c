package dev.potaccel.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.pool.DevicePool;
import dev.potaccel.device.session.InferenceSession;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.SchemeSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * How one model is served: the optional {@code config.json} in its repository folder, every key
 * optional, unknown keys refused (a typo must not silently fall back to a default).
 *
 * <pre>{@code
 * {"device": "emulator", "scheme": "int8", "max_batch_size": 32, "max_batch_delay_us": 2000,
 *  "max_queue_size": 128, "timeout_ms": 30000, "threads": 1}
 * {"devices": ["emulator", "opencl"], "pool_mode": "pipeline"}
 * }</pre>
 *
 * <p>{@code device} names one device ({@code cpu}, {@code emulator}, {@code opencl[:p[:d]]});
 * {@code devices} one or more (a JSON list, or one string with commas), several making a device
 * pool, which {@code pool_mode} runs {@code data-parallel} (the default) or as a {@code pipeline}.
 *
 * <p>{@code scheme} takes what {@code potaccel compile --scheme} takes ({@link SchemeSpec}): a
 * method ({@code "ggd"}), a method with its width ({@code "upot3"}, {@code "lut4"}), or a method
 * with a separate {@code "bits"} key ({@code "scheme": "upot", "bits": 3}); not {@code
 * doubleqext}, whose layer search belongs to {@code potaccel compile} (serve its package).
 *
 * @param devices where the model runs; the server's {@code --devices} when the file does not say
 * @param poolMode how a pool of several devices is used
 * @param scheme the quantization scheme an ONNX model is compiled with for the emulator
 * @param maxBatchSize most rows (samples) one merged batch holds; 1 turns batching off
 * @param maxBatchDelay how long the oldest queued request may wait for others to join it
 * @param maxQueueSize requests waiting per model; one more is refused with 429
 * @param timeout longest a request may wait in the queue before it is refused
 * @param threads engine worker threads
 */
public record ModelConfig(List<DeviceSpec> devices, DevicePool.Mode poolMode, SchemeSpec scheme,
    int maxBatchSize,
    Duration maxBatchDelay, int maxQueueSize, Duration timeout, int threads) {

  public static final String FILE = "config.json";
  private static final Set<String> KEYS = Set.of("device", "devices", "pool_mode", "scheme",
      "bits", "max_batch_size", "max_batch_delay_us", "max_queue_size", "timeout_ms", "threads");

  public ModelConfig {
    // the session's own checks: a device list it accepts, a scheme it compiles at load
    new InferenceSession.Options(devices, poolMode, scheme, Math.max(1, threads), Path.of("."));
    devices = List.copyOf(devices);
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max_batch_size must be at least 1, got " + maxBatchSize);
    }
    if (maxQueueSize < 1) {
      throw new IllegalArgumentException("max_queue_size must be at least 1, got " + maxQueueSize);
    }
    if (maxBatchDelay.isNegative()) {
      throw new IllegalArgumentException("max_batch_delay_us must not be negative");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout_ms must be positive");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
  }

  /**
   * The defaults for {@code devices}: batches of up to 32 within 2 ms, 128 queued, 30 s timeout,
   * a data-parallel pool for several devices, each with one thread (one with every core).
   */
  public static ModelConfig defaults(List<DeviceSpec> devices) {
    int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
    return new ModelConfig(devices, DevicePool.Mode.DATA_PARALLEL,
        SchemeSpec.of(QuantizationScheme.INT8), 32, Duration.ofMillis(2), 128,
        Duration.ofSeconds(30), devices.size() > 1 ? 1 : cores);
  }

  /** The defaults for one device. */
  public static ModelConfig defaults(DeviceSpec device) {
    return defaults(List.of(device));
  }

  /** This configuration with another queue size (tests and the command line). */
  public ModelConfig withQueue(int size) {
    return new ModelConfig(devices, poolMode, scheme, maxBatchSize, maxBatchDelay, size, timeout,
        threads);
  }

  /** How to open the model: these devices, scheme and threads, calibration data from {@code data}. */
  public InferenceSession.Options sessionOptions(Path data) {
    return new InferenceSession.Options(devices, poolMode, scheme, threads, data);
  }

  /** The devices as written in configuration: "emulator", "emulator,opencl:0:0". */
  public String deviceList() {
    return devices.stream().map(DeviceSpec::toString).collect(Collectors.joining(","));
  }

  /**
   * {@code defaults} overridden by {@code folder/config.json} when there is one.
   *
   * @throws IllegalArgumentException naming the file and key at fault
   */
  public static ModelConfig read(Path folder, ModelConfig defaults) {
    Path file = folder.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return defaults;
    }
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString(), defaults);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Parses a configuration; {@code source} names it in messages. */
  static ModelConfig parse(String json, String source, ModelConfig defaults) {
    JsonObject o;
    try {
      JsonElement e = JsonParser.parseString(json);
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException(source + ": must be a JSON object");
      }
      o = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(source + ": not valid JSON: " + e.getMessage(), e);
    }
    Map<String, JsonElement> entries = new TreeMap<>(o.asMap());
    for (String key : entries.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(source + ": unknown key '" + key + "'; valid keys: "
            + KEYS.stream().sorted().toList());
      }
    }
    try {
      return new ModelConfig(devices(o, source, defaults.devices()),
          o.has("pool_mode") ? DevicePool.Mode.parse(string(o, "pool_mode", source)) : defaults.poolMode(),
          scheme(o, source, defaults.scheme()),
          o.has("max_batch_size") ? integer(o, "max_batch_size", source)
              : defaults.maxBatchSize(),
          o.has("max_batch_delay_us")
              ? Duration.ofNanos(1000L * integer(o, "max_batch_delay_us", source))
              : defaults.maxBatchDelay(),
          o.has("max_queue_size") ? integer(o, "max_queue_size", source)
              : defaults.maxQueueSize(),
          o.has("timeout_ms") ? Duration.ofMillis(integer(o, "timeout_ms", source))
              : defaults.timeout(),
          o.has("threads") ? integer(o, "threads", source) : defaults.threads());
    } catch (IllegalArgumentException e) {
      throw e.getMessage() != null && e.getMessage().startsWith(source) ? e
          : new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** {@code "device"} (one) or {@code "devices"} (a list, or a string with commas). */
  private static List<DeviceSpec> devices(JsonObject o, String source, List<DeviceSpec> defaults) {
    if (o.has("device") && o.has("devices")) {
      throw new IllegalArgumentException(source + ": give 'device' or 'devices', not both");
    }
    if (o.has("device")) {
      return List.of(DeviceSpec.parse(string(o, "device", source)));
    }
    if (!o.has("devices")) {
      return defaults;
    }
    JsonElement e = o.get("devices");
    if (e instanceof JsonPrimitive p && p.isString()) {
      return parseDevices(p.getAsString());
    }
    if (e instanceof JsonArray a && !a.isEmpty()) {
      List<DeviceSpec> out = new ArrayList<>();
      for (JsonElement d : a) {
        if (!(d instanceof JsonPrimitive p) || !p.isString()) {
          throw new IllegalArgumentException(source + ": 'devices' entries must be strings, got "
              + d);
        }
        out.add(DeviceSpec.parse(p.getAsString()));
      }
      return out;
    }
    throw new IllegalArgumentException(source + ": 'devices' must be a non-empty list of device"
        + " names or a string like \"emulator,opencl\", got " + e);
  }

  /** "emulator,opencl:0:0" as a device list. */
  public static List<DeviceSpec> parseDevices(String text) {
    List<DeviceSpec> out = new ArrayList<>();
    for (String d : text.split(",", -1)) {
      out.add(DeviceSpec.parse(d));
    }
    return out;
  }

  /**
   * {@code "scheme"} as a method or a label with its width ("upot3"), {@code "bits"} the width
   * of a method named without one; the default when neither key is there.
   */
  private static SchemeSpec scheme(JsonObject o, String source, SchemeSpec defaults) {
    if (!o.has("scheme")) {
      if (o.has("bits")) {
        throw new IllegalArgumentException(source + ": 'bits' needs a 'scheme'");
      }
      return defaults;
    }
    String name = string(o, "scheme", source);
    try {
      return o.has("bits") ? SchemeSpec.parse(name, integer(o, "bits", source))
          : SchemeSpec.parseLabel(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": 'scheme': " + e.getMessage(), e);
    }
  }

  private static String string(JsonObject o, String key, String source) {
    JsonElement e = o.get(key);
    if (e instanceof JsonPrimitive p && p.isString()) {
      return p.getAsString();
    }
    throw new IllegalArgumentException(source + ": '" + key + "' must be a string, got " + e);
  }

  private static int integer(JsonObject o, String key, String source) {
    JsonElement e = o.get(key);
    if (e instanceof JsonPrimitive p && p.isNumber()) {
      double v = p.getAsDouble();
      if (v == Math.rint(v) && Math.abs(v) <= Integer.MAX_VALUE) {
        return (int) v;
      }
    }
    throw new IllegalArgumentException(source + ": '" + key + "' must be an integer, got " + e);
  }
}
