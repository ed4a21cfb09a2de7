package io.sscsi.synccontroller;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The throwaway TLS fixtures of {@code src/test/resources/tls} (see its README). */
final class TlsFixtures {
  static final String PEM = text("rsa.crt") + text("rsa-pkcs8.key");

  private TlsFixtures() {}

  static byte[] pfx() {
    return bytes("rsa-nopass.pfx");
  }

  static String text(String name) {
    return new String(bytes(name), StandardCharsets.US_ASCII);
  }

  static byte[] bytes(String name) {
    try (InputStream in = TlsFixtures.class.getResourceAsStream("/tls/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
