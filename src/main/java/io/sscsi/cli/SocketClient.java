package io.sscsi.cli;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sscsi.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Blocking unary calls to a gRPC server on a unix socket (the driver's CSI socket or a provider's),
 * dialled as kubelet dials: plaintext, {@code :authority localhost}. Every failure is a {@link
 * CliFailure} that names the socket and what is wrong: a missing socket file, a server that is
 * not listening or went away mid-call, a deadline, or the server's own status and message.
 */
public final class SocketClient implements AutoCloseable {
  private static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  private final String what;
  private final Path socket;
  private final ManagedChannel channel;

  private SocketClient(String what, Path socket) {
    this.what = what;
    this.socket = socket;
    this.channel = UnixChannels.open(socket, MAX_RESPONSE_BYTES);
  }

  /**
   * A client for {@code socket}; {@code what} names the server in messages ("driver", "provider").
   *
   * @throws CliFailure UNAVAILABLE when there is no socket file at that path
   */
  public static SocketClient open(String what, Path socket) {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      throw new CliFailure(Status.Code.UNAVAILABLE,
          "no " + what + " socket at " + socket + " (is the " + what + " running? check --endpoint)");
    }
    if (Files.isDirectory(socket) || Files.isRegularFile(socket)) {
      throw new CliFailure(Status.Code.UNAVAILABLE, socket + " is not a unix socket");
    }
    return new SocketClient(what, socket);
  }

  public Path socket() {
    return socket;
  }

  /** Calls {@code method}; the answer, or a CliFailure with the call's status. */
  public <Q, R> R call(MethodDescriptor<Q, R> method, Q request, Duration timeout) {
    try {
      return ClientCalls.blockingUnaryCall(channel, method,
          CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS), request);
    } catch (StatusRuntimeException e) {
      throw new CliFailure(e.getStatus().getCode(), describe(method.getBareMethodName(), e.getStatus(), timeout));
    }
  }

  private String describe(String method, Status status, Duration timeout) {
    String description = status.getDescription() == null ? "" : status.getDescription();
    switch (status.getCode()) {
      case DEADLINE_EXCEEDED:
        return "the " + what + " at " + socket + " did not answer " + method + " within " + timeout.toSeconds()
            + " s" + (description.isEmpty() ? "" : " (" + description + ")");
      case UNAVAILABLE:
        if (status.getCause() != null || description.isEmpty() || description.startsWith("io exception")
            || description.contains("Connection closed") || description.contains("Network closed")) {
          String cause = status.getCause() == null || status.getCause().getMessage() == null ? description
              : status.getCause().getMessage();
          return "the " + what + " at " + socket + " is not answering or went away during " + method
              + (cause.isEmpty() ? "" : " (" + cause + ")");
        }
        return description;
      default:
        return description.isEmpty() ? method + " failed" : description;
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
