package io.sscsi.grpc;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC server listening on a unix domain socket only (no TCP port), on grpc-java's Netty
 * transport with epoll domain sockets (bundled in grpc-netty-shaded for x86_64 and aarch64).
 *
 * <p>Why not pekko-http: its HTTP/2 server can only be fed a unix socket through internal API, and
 * it refuses the socket-path {@code :authority} that grpc-java clients send; this transport accepts
 * both kubelet's {@code localhost} and grpc-java's path authority (ARCHITECTURE.md, decision 1).
 * A stale socket file is removed before binding; {@link #close()} removes the socket file.
 */
public final class UnixSocketServer implements AutoCloseable {
  private final Path socket;
  private final Server server;
  private final EpollEventLoopGroup group;

  private UnixSocketServer(Path socket, Server server, EpollEventLoopGroup group) {
    this.socket = socket;
    this.server = server;
    this.group = group;
  }

  /**
   * Binds {@code socket} and serves {@code services}.
   *
   * @param executor where handlers run; handlers that only hand work to actors may use a direct
   *     executor, handlers that block must not
   * @param maxInboundBytes the largest request message accepted
   */
  public static UnixSocketServer start(
      Path socket, List<ServerServiceDefinition> services, Executor executor, int maxInboundBytes)
      throws IOException {
    Path parent = socket.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.deleteIfExists(socket);
    EpollEventLoopGroup group =
        new EpollEventLoopGroup(1, new DefaultThreadFactory("uds-" + socket.getFileName(), true));
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .maxInboundMessageSize(maxInboundBytes)
            .executor(executor);
    services.forEach(builder::addService);
    try {
      return new UnixSocketServer(socket, builder.build().start(), group);
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException("cannot listen on unix socket " + socket + ": " + e.getMessage(), e);
    }
  }

  public Path socket() {
    return socket;
  }

  /** Stops accepting calls, lets running calls finish for a moment, removes the socket file. */
  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(3, TimeUnit.SECONDS)) {
        server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      try {
        Files.deleteIfExists(socket);
      } catch (IOException ignored) {
        // the socket file is removed again on the next start
      }
    }
  }
}
