package dev.potaccel.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KServe v2 REST API over the {@link InferenceService}: health, server and model metadata,
 * model readiness and inference (JSON and the binary tensor data extension). Every error is
 * {@code {"error": "..."}} with the status of its {@link ServeError}. Inference answers
 * asynchronously when the model's batch has run; the event loop never waits.
 */
final class RestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(RestHandler.class);
  private static final String JSON = "application/json";

  private final InferenceService service;
  private final BearerToken authToken;

  /** @param authToken the token every request but health checks must carry; null for none */
  RestHandler(InferenceService service, BearerToken authToken) {
    this.service = service;
    this.authToken = authToken;
  }

  /** A parsed path: /v2/models/{model}[/versions/{version}][/{action}]. */
  private record ModelPath(String model, String version, String action) {}

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (!request.decoderResult().isSuccess()) {
      send(ctx, keepAlive, error(new ServeException(ServeError.BAD_REQUEST,
          "malformed HTTP request: " + request.decoderResult().cause().getMessage())));
      return;
    }
    try {
      route(ctx, request, keepAlive);
    } catch (ServeException e) {
      send(ctx, keepAlive, error(e));
    } catch (RuntimeException e) {
      LOG.error("{} {}: internal error", request.method(), request.uri(), e);
      send(ctx, keepAlive, error(new ServeException(ServeError.INTERNAL, request.method() + " "
          + request.uri() + ": internal error: " + e.getMessage(), e)));
    }
  }

  private void route(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
    String path = new QueryStringDecoder(request.uri()).path();
    HttpMethod method = request.method();
    List<String> parts = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    if (parts.isEmpty() || !parts.get(0).equals("v2")) {
      throw notFound(method, path);
    }
    boolean health = parts.size() == 3 && parts.get(1).equals("health");
    if (authToken != null && !health
        && !authToken.accepts(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
      throw new ServeException(ServeError.UNAUTHENTICATED, method + " " + path + ": "
          + (request.headers().contains(HttpHeaderNames.AUTHORIZATION)
          ? "the bearer token is wrong" : "no 'Authorization: Bearer <token>' header")
          + "; this server requires its auth token (health endpoints excepted)");
    }
    if (parts.size() == 1) {
      expect(method, HttpMethod.GET, path);
      JsonObject o = new JsonObject();
      o.addProperty("name", InferenceService.SERVER_NAME);
      o.addProperty("version", service.serverVersion());
      JsonArray ext = new JsonArray();
      InferenceService.EXTENSIONS.forEach(ext::add);
      o.add("extensions", ext);
      send(ctx, keepAlive, json(HttpResponseStatus.OK, o));
      return;
    }
    if (parts.get(1).equals("health") && parts.size() == 3) {
      expect(method, HttpMethod.GET, path);
      switch (parts.get(2)) {
        case "live" -> {
          JsonObject o = new JsonObject();
          o.addProperty("live", service.live());
          send(ctx, keepAlive, json(HttpResponseStatus.OK, o));
        }
        case "ready" -> {
          if (!service.ready()) {
            throw new ServeException(ServeError.UNAVAILABLE, service.draining()
                ? "not ready: the server is shutting down" : "not ready: models are loading");
          }
          JsonObject o = new JsonObject();
          o.addProperty("ready", true);
          send(ctx, keepAlive, json(HttpResponseStatus.OK, o));
        }
        default -> throw notFound(method, path);
      }
      return;
    }
    ModelPath mp = modelPath(parts, method, path);
    switch (mp.action()) {
      case "" -> {
        expect(method, HttpMethod.GET, path);
        send(ctx, keepAlive, json(HttpResponseStatus.OK,
            metadata(service.model(mp.model(), mp.version()))));
      }
      case "ready" -> {
        expect(method, HttpMethod.GET, path);
        boolean ready = service.modelReady(mp.model(), mp.version());
        if (!ready) {
          throw new ServeException(ServeError.UNAVAILABLE, "model '" + mp.model()
              + "' is not ready" + (service.draining() ? ": the server is shutting down"
              : ": it is loading or failed to load"));
        }
        JsonObject o = new JsonObject();
        o.addProperty("name", mp.model());
        o.addProperty("ready", true);
        send(ctx, keepAlive, json(HttpResponseStatus.OK, o));
      }
      case "infer" -> {
        expect(method, HttpMethod.POST, path);
        infer(ctx, request, mp, keepAlive);
      }
      default -> throw notFound(method, path);
    }
  }

  private static ModelPath modelPath(List<String> parts, HttpMethod method, String path) {
    if (!parts.get(1).equals("models") || parts.size() < 3) {
      throw notFound(method, path);
    }
    String model = parts.get(2);
    int next = 3;
    String version = "";
    if (parts.size() > next && parts.get(next).equals("versions")) {
      if (parts.size() == next + 1) {
        throw notFound(method, path);
      }
      version = parts.get(next + 1);
      next += 2;
    }
    if (parts.size() > next + 1) {
      throw notFound(method, path);
    }
    return new ModelPath(model, version, parts.size() > next ? parts.get(next) : "");
  }

  private void infer(ChannelHandlerContext ctx, FullHttpRequest request, ModelPath mp,
      boolean keepAlive) {
    byte[] body = ByteBufUtil.getBytes(request.content());
    InferRequest r = RestCodec.parse(mp.model(), mp.version(), body,
        request.headers().get(RestCodec.HEADER_LENGTH));
    service.infer(r, Long.MAX_VALUE).whenComplete((response, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException c ? c.getCause() : failure;
        send(ctx, keepAlive, error(cause instanceof ServeException s ? s
            : new ServeException(ServeError.INTERNAL, "internal error: " + cause.getMessage(),
                cause)));
        return;
      }
      RestCodec.Body b = RestCodec.encode(response);
      FullHttpResponse http = HttpServer.response(HttpResponseStatus.OK,
          b.binary() ? "application/octet-stream" : JSON, b.bytes());
      if (b.binary()) {
        http.headers().set(RestCodec.HEADER_LENGTH, b.headerLength());
      }
      send(ctx, keepAlive, http);
    });
  }

  private static JsonObject metadata(InferenceService.ServedModel m) {
    JsonObject o = new JsonObject();
    o.addProperty("name", m.name());
    JsonArray versions = new JsonArray();
    versions.add(InferenceService.VERSION);
    o.add("versions", versions);
    o.addProperty("platform", m.platform());
    o.add("inputs", tensors(m.model().inputs()));
    o.add("outputs", tensors(m.model().outputs()));
    return o;
  }

  private static JsonArray tensors(List<TensorSpec> specs) {
    JsonArray a = new JsonArray();
    for (TensorSpec s : specs) {
      JsonObject t = new JsonObject();
      t.addProperty("name", s.name());
      t.addProperty("datatype", s.datatype().name());
      JsonArray shape = new JsonArray();
      for (long d : s.shape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      a.add(t);
    }
    return a;
  }

  private static void expect(HttpMethod method, HttpMethod wanted, String path) {
    if (!method.equals(wanted)) {
      throw new ServeException(ServeError.METHOD_NOT_ALLOWED, method + " " + path
          + ": method not allowed; use " + wanted);
    }
  }

  private static ServeException notFound(HttpMethod method, String path) {
    return new ServeException(ServeError.NOT_FOUND, "no endpoint " + method + " " + path
        + "; endpoints: GET /v2, /v2/health/live, /v2/health/ready,"
        + " /v2/models/{name}[/versions/{v}][/ready]; POST /v2/models/{name}[/versions/{v}]/infer");
  }

  private static FullHttpResponse json(HttpResponseStatus status, JsonObject o) {
    return HttpServer.response(status, JSON, o.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static FullHttpResponse error(ServeException e) {
    FullHttpResponse r = HttpServer.response(HttpResponseStatus.valueOf(e.error().httpStatus()),
        JSON, RestCodec.error(e.getMessage()));
    if (e.error() == ServeError.UNAUTHENTICATED) {
      r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
    }
    return r;
  }

  private static void send(ChannelHandlerContext ctx, boolean keepAlive,
      FullHttpResponse response) {
    if (keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(response);
    } else {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("REST connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
