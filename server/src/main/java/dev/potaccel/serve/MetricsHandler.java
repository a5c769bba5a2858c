package dev.potaccel.serve;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;

/** {@code GET /metrics}: the Prometheus text format; anything else 404. */
final class MetricsHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private final Metrics metrics;

  MetricsHandler(Metrics metrics) {
    this.metrics = metrics;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    String path = new QueryStringDecoder(request.uri()).path();
    if (request.method().equals(HttpMethod.GET) && path.equals("/metrics")) {
      ctx.writeAndFlush(HttpServer.response(HttpResponseStatus.OK,
          "text/plain; version=0.0.4; charset=utf-8",
          metrics.scrape().getBytes(StandardCharsets.UTF_8)));
      return;
    }
    ctx.writeAndFlush(HttpServer.response(HttpResponseStatus.NOT_FOUND, "application/json",
        RestCodec.error("no endpoint " + request.method() + " " + path + "; GET /metrics")))
        .addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
