package dev.potaccel.serve.client;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.serve.Datatype;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small KServe v2 REST client (java.net.http): health, metadata, and inference with JSON or
 * binary tensors. For tests and scripts; any v2 client works with the server.
 */
public final class RestClient {
  private final HttpClient http;
  private final String base;
  private final String authorization;

  public RestClient(String host, int port) {
    this(host, port, ClientSecurity.NONE);
  }

  /** A client of a server with TLS (https) and/or a bearer token. */
  public RestClient(String host, int port, ClientSecurity security) {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .version(HttpClient.Version.HTTP_1_1);
    if (security.tls()) {
      b.sslContext(security.sslContext());
    }
    this.http = b.build();
    this.base = (security.tls() ? "https://" : "http://") + host + ":" + port;
    this.authorization = security.authorization();
  }

  /** A raw answer: status, headers, body. */
  public record Response(int status, Map<String, List<String>> headers, byte[] body) {
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /** The body as JSON (all of it: only for answers without binary data). */
    public JsonObject json() {
      return JsonParser.parseString(text()).getAsJsonObject();
    }

    /** The {@code error} message of an error answer. */
    public String error() {
      return json().get("error").getAsString();
    }
  }

  public Response get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  public Response post(String path, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    return send(b);
  }

  private Response send(HttpRequest.Builder request) {
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    try {
      HttpResponse<byte[]> r = http.send(request.timeout(Duration.ofSeconds(60)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      return new Response(r.statusCode(), r.headers().map(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(base + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public boolean live() {
    return get("/v2/health/live").status() == 200;
  }

  public boolean ready() {
    return get("/v2/health/ready").status() == 200;
  }

  public JsonObject serverMetadata() {
    return ok(get("/v2")).json();
  }

  public JsonObject modelMetadata(String model) {
    return ok(get("/v2/models/" + model)).json();
  }

  /**
   * Runs {@code inputs} on {@code model}.
   *
   * @param binary send inputs and ask for outputs in the binary tensor data extension
   * @return every output of the model, in model order
   * @throws ClientException with the status and message when the server refuses
   */
  public List<NamedTensor> infer(String model, List<NamedTensor> inputs, boolean binary) {
    JsonObject o = new JsonObject();
    JsonArray in = new JsonArray();
    List<byte[]> tail = new ArrayList<>();
    for (NamedTensor t : inputs) {
      JsonObject j = new JsonObject();
      j.addProperty("name", t.name());
      Datatype d = Datatype.of(t.tensor().dtype());
      j.addProperty("datatype", d.name());
      JsonArray shape = new JsonArray();
      for (int s : t.tensor().shape()) {
        shape.add(s);
      }
      j.add("shape", shape);
      if (binary) {
        byte[] bytes = bytes(t.tensor(), d);
        JsonObject p = new JsonObject();
        p.addProperty("binary_data_size", bytes.length);
        j.add("parameters", p);
        tail.add(bytes);
      } else {
        JsonArray data = new JsonArray();
        for (int i = 0; i < t.tensor().size(); i++) {
          if (t.tensor().dtype().isFloat()) {
            data.add(t.tensor().floats()[i]);
          } else {
            data.add(t.tensor().longs()[i]);
          }
        }
        j.add("data", data);
      }
      in.add(j);
    }
    o.add("inputs", in);
    if (binary) {
      JsonObject p = new JsonObject();
      p.addProperty("binary_data_output", true);
      o.add("parameters", p);
    }
    byte[] json = o.toString().getBytes(StandardCharsets.UTF_8);
    int total = json.length + tail.stream().mapToInt(b -> b.length).sum();
    ByteBuffer body = ByteBuffer.allocate(total).put(json);
    tail.forEach(body::put);
    Response r = ok(post("/v2/models/" + model + "/infer", body.array(), binary
        ? Map.of("Inference-Header-Content-Length", Integer.toString(json.length),
            "Content-Type", "application/octet-stream")
        : Map.of("Content-Type", "application/json")));
    return outputs(r);
  }

  /** The outputs of an infer answer, JSON or binary. */
  public static List<NamedTensor> outputs(Response r) {
    int headerLength = r.headers().getOrDefault("inference-header-content-length",
        List.of(Integer.toString(r.body().length))).stream().findFirst()
        .map(Integer::parseInt).orElseThrow();
    JsonObject o = JsonParser.parseString(new String(r.body(), 0, headerLength,
        StandardCharsets.UTF_8)).getAsJsonObject();
    ByteBuffer tail = ByteBuffer.wrap(r.body(), headerLength, r.body().length - headerLength)
        .slice().order(ByteOrder.LITTLE_ENDIAN);
    List<NamedTensor> out = new ArrayList<>();
    for (JsonElement e : o.getAsJsonArray("outputs")) {
      JsonObject t = e.getAsJsonObject();
      JsonArray s = t.getAsJsonArray("shape");
      int[] shape = new int[s.size()];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = s.get(d).getAsInt();
      }
      Datatype datatype = Datatype.valueOf(t.get("datatype").getAsString());
      DataType type = datatype.graphType().orElseThrow(() -> new IllegalStateException(
          "output datatype " + datatype + " is not supported by this client"));
      int n = Math.toIntExact(Tensor.elementCount(shape));
      Tensor tensor;
      if (t.has("data")) {
        JsonArray data = t.getAsJsonArray("data");
        if (type.isFloat()) {
          float[] v = new float[n];
          for (int i = 0; i < n; i++) {
            v[i] = data.get(i).getAsFloat();
          }
          tensor = Tensor.ofFloats(shape, v);
        } else {
          long[] v = new long[n];
          for (int i = 0; i < n; i++) {
            v[i] = type == DataType.BOOL ? (data.get(i).getAsBoolean() ? 1 : 0)
                : data.get(i).getAsLong();
          }
          tensor = Tensor.ofLongs(type, shape, v);
        }
      } else {
        int size = t.getAsJsonObject("parameters").get("binary_data_size").getAsInt();
        ByteBuffer b = tail.slice(tail.position(), size).order(ByteOrder.LITTLE_ENDIAN);
        tail.position(tail.position() + size);
        tensor = fromBytes(b, datatype, shape, n);
      }
      out.add(new NamedTensor(t.get("name").getAsString(), tensor));
    }
    return out;
  }

  static Tensor fromBytes(ByteBuffer b, Datatype datatype, int[] shape, int n) {
    DataType type = datatype.graphType().orElseThrow();
    if (type.isFloat()) {
      float[] v = new float[n];
      b.asFloatBuffer().get(v);
      return Tensor.ofFloats(shape, v);
    }
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = switch (datatype) {
        case INT32 -> b.getInt();
        case INT64 -> b.getLong();
        case UINT8 -> b.get() & 0xFF;
        default -> b.get();
      };
    }
    return Tensor.ofLongs(type, shape, v);
  }

  static byte[] bytes(Tensor t, Datatype d) {
    ByteBuffer b = ByteBuffer.allocate(t.size() * d.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    if (t.dtype().isFloat()) {
      b.asFloatBuffer().put(t.floats());
    } else {
      for (long v : t.longs()) {
        switch (d) {
          case INT32 -> b.putInt((int) v);
          case INT64 -> b.putLong(v);
          default -> b.put((byte) v);
        }
      }
    }
    return b.array();
  }

  private static Response ok(Response r) {
    if (r.status() != 200) {
      String message;
      try {
        message = r.error();
      } catch (RuntimeException e) {
        message = r.text();
      }
      throw new ClientException(r.status(), message);
    }
    return r;
  }
}
