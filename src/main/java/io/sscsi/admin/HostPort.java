package io.sscsi.admin;

/** A Go-style listen address: {@code host:port}, {@code :port} (all interfaces) or empty (off). */
public record HostPort(String host, int port) {

  /** @return null when {@code address} is empty (the server is switched off) */
  public static HostPort parse(String address, String flag) {
    String a = address.trim();
    if (a.isEmpty()) {
      return null;
    }
    int colon = a.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(flag + " must be host:port or :port, got \"" + address + "\"");
    }
    String host = a.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(a.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " has no valid port: \"" + address + "\"");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + " port out of range: \"" + address + "\"");
    }
    return new HostPort(host.isEmpty() ? "0.0.0.0" : host, port);
  }
}
