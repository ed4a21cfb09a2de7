package io.sscsi.synccontroller;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Pure: {@code status.syncHash}, which changes when what the Secret would hold changes: its type,
 * data, labels and annotations, the class's uid and generation, the SecretSync's uid and generation
 * and {@code forceSynchronization}. Like SSC's it is a salted slow hash (PBKDF2, salt = the
 * SecretSync's uid), so the status never carries a plain digest of a secret value that a short
 * value could be guessed back from. Opaque: it is compared, never parsed.
 */
public final class SyncHash {
  static final int ITERATIONS = 10_000;
  private static final String PREFIX = "sscsi1:";

  private SyncHash() {}

  public static String of(SecretContent.Desired desired, String classUid, Long classGeneration, String syncUid,
      Long syncGeneration, String forceSynchronization) {
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    field(in, desired.type());
    desired.data().forEach((k, v) -> {
      field(in, k);
      in.writeBytes(Integer.toString(v.length).getBytes(StandardCharsets.US_ASCII));
      in.write(0);
      in.writeBytes(v);
    });
    map(in, desired.labels());
    map(in, desired.annotations());
    field(in, classUid + "/" + classGeneration);
    field(in, syncUid + "/" + syncGeneration);
    field(in, forceSynchronization == null ? "" : forceSynchronization);
    byte[] bytes = in.toByteArray();
    char[] password = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      password[i] = (char) (bytes[i] & 0xff);
    }
    try {
      PBEKeySpec spec = new PBEKeySpec(password, (syncUid == null ? "" : syncUid).getBytes(StandardCharsets.UTF_8),
          ITERATIONS, 256);
      byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      spec.clearPassword();
      return PREFIX + HexFormat.of().formatHex(hash);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from the JDK", e);
    } finally {
      java.util.Arrays.fill(password, '\0');
      java.util.Arrays.fill(bytes, (byte) 0);
    }
  }

  private static void map(ByteArrayOutputStream in, Map<String, String> map) {
    in.write(1);
    map.forEach((k, v) -> {
      field(in, k);
      field(in, v);
    });
  }

  private static void field(ByteArrayOutputStream in, String s) {
    in.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    in.write(0);
  }
}
