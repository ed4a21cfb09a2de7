package io.sscsi.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A localhost TCP port that refuses connections for as long as this is open: a socket bound to it
 * that never listens (a connection attempt gets a reset) and, bound without SO_REUSEADDR, keeps any
 * other socket from listening there meanwhile. Unlike "bind port 0, close, use the number", nothing
 * can take the port between the choice and the test's connection.
 */
public final class RefusedPort implements AutoCloseable {
  private final Socket socket;

  private RefusedPort(Socket socket) {
    this.socket = socket;
  }

  public static RefusedPort open() {
    Socket socket = new Socket();
    try {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
      return new RefusedPort(socket);
    } catch (IOException e) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing bound
      }
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** {@code 127.0.0.1:<port>}. */
  public String address() {
    return socket.getLocalAddress().getHostAddress() + ":" + port();
  }

  /** Frees the port (e.g. for a server the test starts there later). */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
