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
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A gRPC server listening on a unix domain socket only (no TCP port), on grpc-java's Netty
 * transport with epoll domain sockets (bundled in grpc-netty-shaded for x86_64 and aarch64).
 *
 * <p>Why not pekko-http: its HTTP/2 server can only be fed a unix socket through internal API, and
 * it refuses the socket-path {@code :authority} that grpc-java clients send; this transport accepts
 * both kubelet's {@code localhost} and grpc-java's path authority (ARCHITECTURE.md, decision 1).
 * <p>The socket file appears only once the server answers: it is bound under a hidden name beside
 * the final one, {@code warmUp} calls it there (loading every class a first call needs), and only
 * then is it renamed into place (rename(2) also replaces a stale socket file atomically). kubelet's
 * registrar waits for the file and then gives the first call one second. {@link #close()} removes
 * the socket file.
 */
public final class UnixSocketServer implements AutoCloseable {
  private final Path socket;
  private final Server server;
  private final EpollEventLoopGroup group;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** sun_path holds 108 bytes, the terminating NUL included. */
  private static final int MAX_SOCKET_PATH = 107;

  private UnixSocketServer(Path socket, Server server, EpollEventLoopGroup group) {
    this.socket = socket;
    this.server = server;
    this.group = group;
  }

  /**
   * Runs handlers on the event loop that read the call, through grpc-java's own direct executor: no
   * queue node and no compare-and-set per callback, as any other executor gets (a {@code
   * SerializingExecutor} around it, even around {@code Runnable::run}). For handlers that only hand
   * work to actors and never block.
   */
  public static final Executor DIRECT = com.google.common.util.concurrent.MoreExecutors.directExecutor();

  /** Binds {@code socket} and serves {@code services}, published as soon as it listens. */
  public static UnixSocketServer start(
      Path socket, List<ServerServiceDefinition> services, Executor executor, int maxInboundBytes)
      throws IOException {
    return start(socket, services, executor, maxInboundBytes, WarmUp.NONE);
  }

  /**
   * Binds {@code socket} and serves {@code services}.
   *
   * @param executor where handlers run; handlers that only hand work to actors may use a direct
   *     executor, handlers that block must not
   * @param maxInboundBytes the largest request message accepted
   * @param warmUp called with the path the server listens on before the socket file is published;
   *     it throws to refuse the start
   */
  public static UnixSocketServer start(Path socket, List<ServerServiceDefinition> services, Executor executor,
      int maxInboundBytes, WarmUp warmUp) throws IOException {
    Path parent = socket.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path staging = socket.resolveSibling("." + socket.getFileName() + ".starting");
    boolean stage = warmUp != WarmUp.NONE && staging.toAbsolutePath().toString().length() <= MAX_SOCKET_PATH;
    Path bindAt = stage ? staging : socket;
    clearStale(bindAt);
    EpollEventLoopGroup group =
        new EpollEventLoopGroup(1, new DefaultThreadFactory("uds-" + socket.getFileName(), true));
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new DomainSocketAddress(bindAt.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .maxInboundMessageSize(maxInboundBytes);
    if (executor == DIRECT) {
      builder.directExecutor();
    } else {
      builder.executor(executor);
    }
    services.forEach(builder::addService);
    Server server;
    try {
      server = builder.build().start();
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException("cannot listen on unix socket " + socket + ": " + e.getMessage(), e);
    }
    UnixSocketServer started = new UnixSocketServer(bindAt, server, group);
    try {
      warmUp.call(bindAt);
      if (stage) {
        Files.move(staging, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      started.close();
      throw new IOException("cannot serve on unix socket " + socket + ": " + e.getMessage(), e);
    }
    return new UnixSocketServer(socket, server, group);
  }

  /**
   * Removes what an earlier run left at {@code path}. A directory there (nothing the driver makes) is
   * moved aside to {@code <path>.aside-<epoch millis>}, never deleted, and a WARN names both paths,
   * so the start goes on and the operator can look at what was there.
   */
  static void clearStale(Path path) throws IOException {
    if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Path aside = path.resolveSibling(path.getFileName() + ".aside-" + System.currentTimeMillis());
      Files.move(path, aside);
      org.slf4j.LoggerFactory.getLogger(UnixSocketServer.class).warn(
          "a directory was at the socket path {}: moved it aside to {} (remove it when you no longer need it)",
          path, aside);
      return;
    }
    Files.deleteIfExists(path);
  }

  /** Calls a server listening at a path that is not yet published. */
  @FunctionalInterface
  public interface WarmUp {
    WarmUp NONE = at -> {};

    void call(Path listeningAt) throws IOException;
  }

  public Path socket() {
    return socket;
  }

  /** Stops accepting calls, lets running calls finish for a moment, removes the socket file. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
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
