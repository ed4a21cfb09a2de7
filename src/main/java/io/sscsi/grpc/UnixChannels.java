package io.sscsi.grpc;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;

/**
 * Plain grpc-java channels to a unix socket, as kubelet's and csi-sanity's clients dial: the {@code
 * unix://} scheme, plaintext, {@code :authority localhost}. Used by the CLI and by tests.
 */
public final class UnixChannels {
  private UnixChannels() {}

  public static ManagedChannel open(Path socket, int maxInboundBytes) {
    return builder(socket).overrideAuthority("localhost").maxInboundMessageSize(maxInboundBytes).build();
  }

  /** A builder without an authority override: grpc-java then sends the socket path. */
  public static ManagedChannelBuilder<?> builder(Path socket) {
    return Grpc.newChannelBuilder(
        "unix://" + socket.toAbsolutePath(), InsecureChannelCredentials.create());
  }

  /** Parses an endpoint flag: {@code unix:///abs/path}, {@code unix://rel/path} (as upstream: made absolute), or a bare path. */
  public static Path socketPath(String endpoint) {
    String e = endpoint.trim();
    if (e.regionMatches(true, 0, "unix://", 0, 7)) {
      String rest = e.substring(7);
      if (rest.isEmpty()) {
        throw new IllegalArgumentException("invalid endpoint " + endpoint + ": empty socket path");
      }
      return Path.of(rest.startsWith("/") ? rest : "/" + rest).normalize();
    }
    if (e.regionMatches(true, 0, "tcp://", 0, 6)) {
      throw new IllegalArgumentException(
          "invalid endpoint " + endpoint + ": sscsi serves CSI on a unix socket only");
    }
    if (e.contains("://") || e.isEmpty()) {
      throw new IllegalArgumentException("invalid endpoint " + endpoint + ": expected unix:///path");
    }
    return Path.of(e).toAbsolutePath().normalize();
  }
}
