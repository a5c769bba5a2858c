package dev.potaccel.serve;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * An HTTP/1.1 listener on Netty: codec → body aggregation up to a size limit (413 with a JSON
 * error body beyond it) → one handler per connection. Used for the REST API and the metrics
 * endpoint. {@link #close} stops accepting, lets written responses flush, and frees the threads.
 */
final class HttpServer implements AutoCloseable {
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel channel;

  /**
   * Binds {@code host:port} (0: an ephemeral port).
   *
   * @param maxBodyBytes largest request body accepted
   * @param threads event-loop threads for connections
   * @param tls the server's TLS context, or null for plaintext
   * @throws IllegalStateException naming the address when it cannot be bound
   */
  HttpServer(String what, String host, int port, int maxBodyBytes, int threads, SslContext tls,
      Supplier<ChannelHandler> handler) {
    boss = new NioEventLoopGroup(1);
    workers = new NioEventLoopGroup(threads);
    try {
      channel = new ServerBootstrap()
          .group(boss, workers)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              if (tls != null) {
                ch.pipeline().addLast(tls.newHandler(ch.alloc()));
              }
              ch.pipeline()
                  .addLast(new HttpServerCodec())
                  .addLast(new LimitedAggregator(maxBodyBytes))
                  .addLast(handler.get());
            }
          })
          .bind(host, port).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new IllegalStateException(what + ": cannot listen on " + host + ":" + port + ": "
          + e.getMessage(), e);
    }
  }

  /** The bound port. */
  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Stops accepting connections; open connections keep being served until {@link #close}. */
  void stopAccepting() {
    channel.close().syncUninterruptibly();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).syncUninterruptibly();
  }

  /** A plain response with a body. */
  static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    HttpUtil.setContentLength(r, body.length);
    return r;
  }

  /**
   * Netty's aggregator with the protocol's answer to an oversized body: 413 and {@code {"error":
   * ...}} with the limit. Like Netty's own, it closes the connection when the body is already on
   * its way and cannot be skipped, and otherwise keeps it open and discards the rest.
   */
  private static final class LimitedAggregator extends HttpObjectAggregator {
    private final int limit;

    LimitedAggregator(int limit) {
      super(limit);
      this.limit = limit;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized)
        throws Exception {
      if (!(oversized instanceof HttpRequest request)) {
        super.handleOversizedMessage(ctx, oversized);
        return;
      }
      String length = request.headers().get(HttpHeaderNames.CONTENT_LENGTH);
      FullHttpResponse r = response(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
          "application/json", RestCodec.error(request.method() + " " + request.uri()
              + ": request body " + (length != null ? "of " + length + " bytes " : "")
              + "is over the limit of " + limit + " bytes (--max-body-bytes)"));
      if (oversized instanceof FullHttpMessage
          || !HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized)) {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      }
    }
  }
}
