package io.sscsi.k8s;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * Pure: the two halves of a {@code kubernetes.io/tls} Secret cut out of a mounted PEM file, as
 * upstream's {@code secretutil.GetCertPart} does. {@code tls.crt} is every {@code CERTIFICATE}
 * block in file order; {@code tls.key} is the last private key block, written as PKCS#1 ({@code RSA
 * PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}): PKCS#8 ({@code PRIVATE KEY}) RSA and named-curve EC
 * keys are converted as upstream converts them (the EC public key recomputed from the private
 * scalar, as Go's {@code MarshalECPrivateKey} writes it), PKCS#1 and SEC1 blocks are kept as they
 * are, and PKCS#8 keys of other algorithms (Ed25519, ...) are kept as PKCS#8 where upstream fails.
 * Encrypted keys are refused. Blocks are re-encoded canonically (64-column base64, no headers).
 * PKCS#12/PFX input, which upstream falls back to, is not supported. Error messages name the
 * object, never its content, and parser exceptions (which may quote input) are not chained.
 */
public final class TlsPem {

  public static final String CERTIFICATE = "CERTIFICATE";
  public static final String PKCS8 = "PRIVATE KEY";
  static final String PKCS1_RSA = "RSA PRIVATE KEY";
  static final String SEC1_EC = "EC PRIVATE KEY";

  private TlsPem() {}

  /** A problem with the file; the message names no content. */
  public static final class BadPem extends Exception {
    public BadPem(String message) {
      super(message, null, false, false);
    }
  }

  /** Every CERTIFICATE block of {@code pem}, concatenated. */
  public static byte[] certificates(byte[] pem) throws BadPem {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (PemObject block : blocks(pem)) {
      if (CERTIFICATE.equals(block.getType())) {
        out.writeBytes(encode(block.getType(), block.getContent()));
      }
    }
    if (out.size() == 0) {
      throw new BadPem("has no PEM CERTIFICATE block");
    }
    return out.toByteArray();
  }

  /** The last private key block of {@code pem}, as PKCS#1 or SEC1 where it is RSA or EC. */
  public static byte[] privateKey(byte[] pem) throws BadPem {
    PemObject key = null;
    for (PemObject block : blocks(pem)) {
      if (block.getType().endsWith(PKCS8)) {
        key = block;
      }
    }
    if (key == null) {
      throw new BadPem("has no PEM private key block");
    }
    String type = key.getType();
    if (type.startsWith("ENCRYPTED") || isEncrypted(key)) {
      throw new BadPem("holds an encrypted private key, which cannot be synced");
    }
    byte[] der = key.getContent();
    try {
      switch (type) {
        case PKCS1_RSA -> {
          RSAPrivateKey.getInstance(der);
          return encode(PKCS1_RSA, der);
        }
        case SEC1_EC -> {
          ECPrivateKey.getInstance(der);
          return encode(SEC1_EC, der);
        }
        case PKCS8 -> {
          return fromPkcs8(der);
        }
        default -> throw new BadPem("holds a \"" + type + "\" block, which is not a supported private key");
      }
    } catch (IllegalArgumentException | IllegalStateException | ClassCastException | IOException e) {
      throw new BadPem("holds a \"" + type + "\" block that is not a valid key (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static byte[] fromPkcs8(byte[] der) throws IOException {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(der);
    ASN1ObjectIdentifier algorithm = info.getPrivateKeyAlgorithm().getAlgorithm();
    if (PKCSObjectIdentifiers.rsaEncryption.equals(algorithm)) {
      RSAPrivateKey rsa = RSAPrivateKey.getInstance(info.parsePrivateKey());
      return encode(PKCS1_RSA, rsa.getEncoded(ASN1Encoding.DER));
    }
    if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm)) {
      Optional<byte[]> sec1 = ecToSec1(info);
      if (sec1.isPresent()) {
        return encode(SEC1_EC, sec1.get());
      }
    }
    return encode(PKCS8, info.getEncoded(ASN1Encoding.DER));
  }

  /** SEC1 with the named curve and the public point, as Go writes it; empty for unnamed curves. */
  private static Optional<byte[]> ecToSec1(PrivateKeyInfo info) throws IOException {
    X962Parameters params = X962Parameters.getInstance(info.getPrivateKeyAlgorithm().getParameters());
    if (!params.isNamedCurve()) {
      return Optional.empty();
    }
    ASN1ObjectIdentifier curve = ASN1ObjectIdentifier.getInstance(params.getParameters());
    X9ECParameters x9 = ECNamedCurveTable.getByOID(curve);
    if (x9 == null) {
      return Optional.empty();
    }
    BigInteger d = ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
    byte[] point = x9.getG().multiply(d).normalize().getEncoded(false);
    ECPrivateKey sec1 = new ECPrivateKey(x9.getN().bitLength(), d, new DERBitString(point), curve);
    return Optional.of(sec1.getEncoded(ASN1Encoding.DER));
  }

  private static boolean isEncrypted(PemObject block) {
    for (Object h : block.getHeaders()) {
      if (h instanceof PemHeader header && "Proc-Type".equalsIgnoreCase(header.getName())
          && header.getValue() != null && header.getValue().contains("ENCRYPTED")) {
        return true;
      }
    }
    return false;
  }

  private static List<PemObject> blocks(byte[] pem) throws BadPem {
    List<PemObject> out = new ArrayList<>();
    try (PemReader reader = new PemReader(
        new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.ISO_8859_1))) {
      for (PemObject o = reader.readPemObject(); o != null; o = reader.readPemObject()) {
        out.add(o);
      }
    } catch (IOException | RuntimeException e) {
      throw new BadPem("is not valid PEM (" + e.getClass().getSimpleName() + ")");
    }
    return out;
  }

  /** One PEM block as Go's {@code pem.EncodeToMemory} writes it (64 columns, "\n" line ends). */
  public static byte[] encode(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    String text = "-----BEGIN " + type + "-----\n" + body + (body.isEmpty() ? "" : "\n")
        + "-----END " + type + "-----\n";
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
