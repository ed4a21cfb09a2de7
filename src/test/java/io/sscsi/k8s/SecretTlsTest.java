package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClass.DataItem;
import io.sscsi.spc.ProviderClass.SecretObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kubernetes.io/tls} Secrets: tls.crt and tls.key cut out of mounted PEM files. The
 * fixtures in {@code src/test/resources/tls} were made with OpenSSL, whose PKCS#1 and SEC1 output is
 * the DER Go writes (see the README there), so a conversion is checked byte for byte against it.
 */
class SecretTlsTest {

  static final ProviderClass SPC = new ProviderClass("app", "web-tls", "vault", Map.of("a", "b"), List.of());

  static byte[] pem(String name) {
    try (InputStream in = SecretTlsTest.class.getResourceAsStream("/tls/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }

  /** The Secret built from one mounted file {@code bundle} for both keys. */
  static DesiredSecret tlsSecret(byte[] bundle) {
    SecretObject so = new SecretObject("web-tls", "kubernetes.io/tls", Map.of(), Map.of(),
        List.of(new DataItem("bundle.pem", "tls.crt"), new DataItem("bundle.pem", "tls.key")));
    return SecretProjection.project(SPC, so, Map.of("bundle.pem", bundle));
  }

  static Stream<Arguments> conversions() {
    return Stream.of(
        Arguments.of("PKCS#8 RSA becomes PKCS#1", "rsa.crt", "rsa-pkcs8.key", "rsa-pkcs1.key"),
        Arguments.of("PKCS#1 RSA is kept", "rsa.crt", "rsa-pkcs1.key", "rsa-pkcs1.key"),
        Arguments.of("PKCS#8 EC becomes SEC1 with curve and public key", "ec.crt", "ec-pkcs8.key", "ec-sec1.key"),
        Arguments.of("SEC1 EC is kept", "ec.crt", "ec-sec1.key", "ec-sec1.key"),
        Arguments.of("PKCS#8 Ed25519 is kept as PKCS#8", "ec.crt", "ed25519-pkcs8.key", "ed25519-pkcs8.key"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("conversions")
  void keyAndCertificateFromOneBundle(String name, String cert, String key, String expectedKey) {
    DesiredSecret s = tlsSecret(concat(pem(cert), pem(key)));
    assertEquals("kubernetes.io/tls", s.type());
    assertEquals(text(pem(cert)), text(s.value("tls.crt")));
    assertEquals(text(pem(expectedKey)), text(s.value("tls.key")));
  }

  @Test
  void keyFirstThenChainKeepsEveryCertificateInOrder() {
    byte[] bundle = concat("subject=CN = leaf\n".getBytes(StandardCharsets.US_ASCII), pem("rsa-pkcs8.key"),
        pem("rsa.crt"), "\n".getBytes(StandardCharsets.US_ASCII), pem("ca.crt"));
    DesiredSecret s = tlsSecret(bundle);
    assertEquals(text(pem("rsa.crt")) + text(pem("ca.crt")), text(s.value("tls.crt")));
    assertEquals(text(pem("rsa-pkcs1.key")), text(s.value("tls.key")));
  }

  @Test
  void separateFilesForCertificateAndKey() {
    SecretObject so = new SecretObject("web-tls", "kubernetes.io/tls", Map.of(), Map.of(),
        List.of(new DataItem("cert", "tls.crt"), new DataItem("key", "tls.key")));
    DesiredSecret s = SecretProjection.project(SPC, so, Map.of("cert", pem("ec.crt"), "key", pem("ec-pkcs8.key")));
    assertEquals(text(pem("ec.crt")), text(s.value("tls.crt")));
    assertEquals(text(pem("ec-sec1.key")), text(s.value("tls.key")));
  }

  @Test
  void jdkGeneratedPkcs8RsaKeyConvertsToTheSameKey() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(new RSAKeyGenParameterSpec(1024, RSAKeyGenParameterSpec.F4));
    RSAPrivateCrtKey key = (RSAPrivateCrtKey) gen.generateKeyPair().getPrivate();
    byte[] pkcs8 = TlsPem.encode("PRIVATE KEY", key.getEncoded());

    String out = text(TlsPem.privateKey(pkcs8));
    assertTrue(out.startsWith("-----BEGIN RSA PRIVATE KEY-----\n"), out.lines().findFirst().orElse(""));
    byte[] der = Base64.getMimeDecoder().decode(out.replaceAll("-----[A-Z ]+-----", ""));
    org.bouncycastle.asn1.pkcs.RSAPrivateKey parsed = org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(der);
    assertEquals(key.getModulus(), parsed.getModulus());
    assertEquals(key.getPrivateExponent(), parsed.getPrivateExponent());
    assertEquals(key.getCrtCoefficient(), parsed.getCoefficient());
    // and the JDK reads the PKCS#8 we would get back from it
    assertEquals(key, KeyFactory.getInstance("RSA").generatePrivate(
        new java.security.spec.PKCS8EncodedKeySpec(key.getEncoded())));
  }

  static Stream<Arguments> failures() {
    byte[] cert = pem("rsa.crt");
    return Stream.of(
        Arguments.of("no key", cert, "has no PEM private key block"),
        Arguments.of("no certificate", pem("rsa-pkcs8.key"), "has no PEM CERTIFICATE block"),
        Arguments.of("encrypted PKCS#1", concat(cert, pem("rsa-encrypted.key")), "encrypted private key"),
        Arguments.of("encrypted PKCS#8", concat(cert, pem("rsa-pkcs8-encrypted.key")), "encrypted private key"),
        Arguments.of("not PEM", "just some text\n".getBytes(StandardCharsets.US_ASCII), "has no PEM"),
        Arguments.of("broken base64", concat(cert,
            "-----BEGIN PRIVATE KEY-----\n!!!notbase64!!!\n-----END PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII)),
            "is not valid PEM"),
        Arguments.of("garbage DER", concat(cert, TlsPem.encode("RSA PRIVATE KEY", new byte[] {1, 2, 3})),
            "not a valid key"),
        Arguments.of("DSA key", concat(cert, TlsPem.encode("DSA PRIVATE KEY", new byte[] {48, 0})),
            "not a supported private key"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void unusableFilesAreRefusedWithoutQuotingThem(String name, byte[] bundle, String expected) {
    DriverException e = assertThrows(DriverException.class, () -> tlsSecret(bundle));
    assertEquals(FailureKind.SPC_INVALID, e.kind());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().contains("app/web-tls") && e.getMessage().contains("\"bundle.pem\""), e.getMessage());
    assertFalse(e.getMessage().contains("MII"), "message quotes PEM content: " + e.getMessage());
    assertEquals(null, e.getCause());
  }

  @Test
  void otherKeysAreNotAllowedInATlsSecret() {
    SecretObject so = new SecretObject("web-tls", "kubernetes.io/tls", Map.of(), Map.of(),
        List.of(new DataItem("b", "tls.crt"), new DataItem("b", "tls.key"), new DataItem("b", "ca.crt")));
    DriverException e = assertThrows(DriverException.class,
        () -> SecretProjection.project(SPC, so, Map.of("b", concat(pem("rsa.crt"), pem("rsa-pkcs8.key")))));
    assertTrue(e.getMessage().contains("key \"ca.crt\" is not allowed in a kubernetes.io/tls Secret"), e.getMessage());
  }

  @Test
  void aTlsSecretNeedsBothKeys() {
    SecretObject so = new SecretObject("web-tls", "kubernetes.io/tls", Map.of(), Map.of(),
        List.of(new DataItem("b", "tls.crt")));
    DriverException e = assertThrows(DriverException.class,
        () -> SecretProjection.project(SPC, so, Map.of("b", pem("rsa.crt"))));
    assertTrue(e.getMessage().contains("needs both keys tls.crt and tls.key"), e.getMessage());
  }

  @Test
  void pemEncodingIsGoStyle() {
    byte[] der = new byte[100];
    String out = text(TlsPem.encode("CERTIFICATE", der));
    List<String> lines = out.lines().toList();
    assertEquals("-----BEGIN CERTIFICATE-----", lines.get(0));
    assertEquals(64, lines.get(1).length());
    assertEquals("-----END CERTIFICATE-----", lines.get(lines.size() - 1));
    assertTrue(out.endsWith("-----\n"));
    assertEquals(5, lines.size()); // BEGIN, 136 base64 characters as 64 + 64 + 8, END
    assertArrayEquals(der, Base64.getMimeDecoder().decode(String.join("", lines.subList(1, lines.size() - 1))));
  }
}
