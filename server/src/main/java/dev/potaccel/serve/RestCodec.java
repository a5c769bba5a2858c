package dev.potaccel.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The REST form of inference requests and responses: a JSON object, optionally followed by
 * binary tensor data (the {@code binary_tensor_data} extension: the HTTP header {@value
 * #HEADER_LENGTH} gives the JSON part's length, inputs in the tail carry {@code
 * parameters.binary_data_size} instead of {@code data}, in the order they are listed).
 */
final class RestCodec {
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";

  private RestCodec() {}

  /** A response body and whether it has a binary tail (then {@code headerLength} is set). */
  record Body(byte[] bytes, int headerLength, boolean binary) {}

  /**
   * Parses an infer request body.
   *
   * @param headerLength the {@value #HEADER_LENGTH} header's value, or null when absent
   * @throws ServeException (400) naming the header, key or input at fault
   */
  static InferRequest parse(String model, String version, byte[] body, String headerLength) {
    int jsonLength = body.length;
    if (headerLength != null) {
      try {
        jsonLength = Integer.parseInt(headerLength.strip());
      } catch (NumberFormatException e) {
        throw ServeException.badRequest(HEADER_LENGTH + ": '" + headerLength
            + "' is not an integer");
      }
      if (jsonLength == 0) {
        throw ServeException.badRequest(HEADER_LENGTH + ": 0 (a raw binary request without a"
            + " JSON header) is not supported; send the JSON header and binary_data_size");
      }
      if (jsonLength < 0 || jsonLength > body.length) {
        throw ServeException.badRequest(HEADER_LENGTH + ": " + jsonLength + " is outside the"
            + " body, which has " + body.length + " bytes");
      }
    }
    JsonObject o = parseObject(new String(body, 0, jsonLength, StandardCharsets.UTF_8),
        headerLength != null);
    ByteBuffer tail = ByteBuffer.wrap(body, jsonLength, body.length - jsonLength).slice();
    String id = o.has("id") ? string(o.get("id"), "id") : "";
    boolean binaryDefault = false;
    if (o.has("parameters")) {
      JsonObject p = object(o.get("parameters"), "parameters");
      if (p.has("binary_data_output")) {
        binaryDefault = bool(p.get("binary_data_output"), "parameters.binary_data_output");
      }
    }
    if (!o.has("inputs")) {
      throw ServeException.badRequest("request has no 'inputs' array");
    }
    JsonArray inputs = array(o.get("inputs"), "inputs");
    List<InferRequest.Input> parsed = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      parsed.add(input(inputs.get(i), "inputs[" + i + "]", tail));
    }
    if (tail.hasRemaining()) {
      throw ServeException.badRequest("binary data: " + tail.remaining() + " bytes after the"
          + " JSON header belong to no input (binary_data_size of the inputs adds up to "
          + tail.position() + ", the body has " + tail.limit() + " after the " + jsonLength
          + "-byte header)");
    }
    List<InferRequest.RequestedOutput> outputs = new ArrayList<>();
    if (o.has("outputs")) {
      JsonArray a = array(o.get("outputs"), "outputs");
      for (int i = 0; i < a.size(); i++) {
        String where = "outputs[" + i + "]";
        JsonObject out = object(a.get(i), where);
        if (!out.has("name")) {
          throw ServeException.badRequest(where + ": no 'name'");
        }
        boolean binary = binaryDefault;
        if (out.has("parameters")) {
          JsonObject p = object(out.get("parameters"), where + ".parameters");
          if (p.has("binary_data")) {
            binary = bool(p.get("binary_data"), where + ".parameters.binary_data");
          }
        }
        outputs.add(new InferRequest.RequestedOutput(string(out.get("name"), where + ".name"),
            binary));
      }
    }
    return new InferRequest(model, version, id, parsed, outputs, binaryDefault);
  }

  private static JsonObject parseObject(String json, boolean hasHeaderLength) {
    JsonElement e;
    try {
      e = JsonParser.parseString(json);
    } catch (JsonParseException ex) {
      throw new ServeException(ServeError.BAD_REQUEST, "request body is not valid JSON: "
          + ex.getMessage() + (hasHeaderLength ? "" : " (binary data needs the " + HEADER_LENGTH
          + " header)"), ex);
    }
    if (!e.isJsonObject()) {
      throw ServeException.badRequest("request body must be a JSON object, got "
          + (e.isJsonNull() ? "nothing" : abbreviate(e)));
    }
    return e.getAsJsonObject();
  }

  private static InferRequest.Input input(JsonElement e, String where, ByteBuffer tail) {
    JsonObject o = object(e, where);
    for (String key : List.of("name", "datatype", "shape")) {
      if (!o.has(key)) {
        throw ServeException.badRequest(where + ": no '" + key + "'");
      }
    }
    String name = string(o.get("name"), where + ".name");
    where = where + " ('" + name + "')";
    String datatype = string(o.get("datatype"), where + ".datatype");
    JsonArray s = array(o.get("shape"), where + ".shape");
    long[] shape = new long[s.size()];
    for (int d = 0; d < shape.length; d++) {
      JsonElement dim = s.get(d);
      if (!(dim instanceof JsonPrimitive p && p.isNumber() && p.getAsDouble() >= 0
          && p.getAsDouble() == Math.rint(p.getAsDouble()) && p.getAsDouble() < 0x1p62)) {
        throw ServeException.badRequest(where + ".shape[" + d + "] is " + dim
            + "; dimensions are non-negative integers");
      }
      shape[d] = p.getAsLong();
    }
    Long binarySize = null;
    if (o.has("parameters")) {
      JsonObject p = object(o.get("parameters"), where + ".parameters");
      if (p.has("binary_data_size")) {
        JsonElement v = p.get("binary_data_size");
        if (!(v instanceof JsonPrimitive n && n.isNumber() && n.getAsDouble() >= 0
            && n.getAsDouble() == Math.rint(n.getAsDouble()))) {
          throw ServeException.badRequest(where + ".parameters.binary_data_size is " + v
              + "; a byte count");
        }
        binarySize = n.getAsLong();
      }
    }
    InferRequest.Payload data;
    if (binarySize != null) {
      if (o.has("data")) {
        throw ServeException.badRequest(where + ": both 'data' and"
            + " parameters.binary_data_size; give one");
      }
      if (binarySize > tail.remaining()) {
        throw ServeException.badRequest(where + ": binary_data_size " + binarySize + " but only "
            + tail.remaining() + " bytes of binary data are left in the body");
      }
      ByteBuffer slice = tail.slice(tail.position(), binarySize.intValue());
      tail.position(tail.position() + binarySize.intValue());
      data = new InferRequest.BinaryData(slice);
    } else if (o.has("data")) {
      JsonElement d = o.get("data");
      if (!d.isJsonArray()) {
        throw ServeException.badRequest(where + ".data must be an array, got " + abbreviate(d));
      }
      data = new InferRequest.JsonData(d.getAsJsonArray());
    } else {
      throw ServeException.badRequest(where + ": no 'data' and no"
          + " parameters.binary_data_size");
    }
    return new InferRequest.Input(name, datatype, shape, data);
  }

  /** The response as JSON, binary outputs appended after it. */
  static Body encode(InferResponse r) {
    JsonObject o = new JsonObject();
    o.addProperty("model_name", r.model());
    o.addProperty("model_version", r.version());
    if (!r.id().isEmpty()) {
      o.addProperty("id", r.id());
    }
    JsonArray outputs = new JsonArray();
    ByteArrayOutputStream tail = new ByteArrayOutputStream();
    for (InferResponse.Output out : r.outputs()) {
      JsonObject t = new JsonObject();
      t.addProperty("name", out.name());
      t.addProperty("datatype", out.datatype().name());
      JsonArray shape = new JsonArray();
      for (int d : out.tensor().shape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      if (out.binary()) {
        byte[] bytes = TensorCodec.toBytes(out.tensor(), out.datatype());
        JsonObject p = new JsonObject();
        p.addProperty("binary_data_size", bytes.length);
        t.add("parameters", p);
        tail.writeBytes(bytes);
      } else {
        t.add("data", TensorCodec.toJson(out.tensor()));
      }
      outputs.add(t);
    }
    o.add("outputs", outputs);
    byte[] json = o.toString().getBytes(StandardCharsets.UTF_8);
    if (tail.size() == 0) {
      return new Body(json, json.length, false);
    }
    byte[] all = new byte[json.length + tail.size()];
    System.arraycopy(json, 0, all, 0, json.length);
    System.arraycopy(tail.toByteArray(), 0, all, json.length, tail.size());
    return new Body(all, json.length, true);
  }

  /** {@code {"error": message}}. */
  static byte[] error(String message) {
    JsonObject o = new JsonObject();
    o.addProperty("error", message);
    return o.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static JsonObject object(JsonElement e, String where) {
    if (e == null || !e.isJsonObject()) {
      throw ServeException.badRequest(where + " must be a JSON object, got " + abbreviate(e));
    }
    return e.getAsJsonObject();
  }

  private static JsonArray array(JsonElement e, String where) {
    if (e == null || !e.isJsonArray()) {
      throw ServeException.badRequest(where + " must be a JSON array, got " + abbreviate(e));
    }
    return e.getAsJsonArray();
  }

  private static String string(JsonElement e, String where) {
    if (e instanceof JsonPrimitive p && p.isString()) {
      return p.getAsString();
    }
    throw ServeException.badRequest(where + " must be a string, got " + abbreviate(e));
  }

  private static boolean bool(JsonElement e, String where) {
    if (e instanceof JsonPrimitive p && p.isBoolean()) {
      return p.getAsBoolean();
    }
    throw ServeException.badRequest(where + " must be true or false, got " + abbreviate(e));
  }

  private static String abbreviate(JsonElement e) {
    String s = String.valueOf(e);
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
