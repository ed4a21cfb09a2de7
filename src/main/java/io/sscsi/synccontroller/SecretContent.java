package io.sscsi.synccontroller;

import io.sscsi.k8s.TlsPem;
import io.sscsi.synccontroller.model.SecretSyncSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pure: the Secret a SecretSync asks for, from the provider's files (path to bytes), as SSC builds
 * it. Each {@code data[]} item copies the file {@code sourcePath} to the key {@code targetKey}; a
 * path the provider did not return fails the sync naming the path. For {@code kubernetes.io/tls}
 * the keys {@code tls.crt} and {@code tls.key} get the certificates and the private key cut out of
 * the file, from PEM ({@link TlsPem}) or from PKCS#12/PFX without a password. The type defaults to
 * {@code Opaque}. Labels are the spec's plus {@value #MANAGED_LABEL}; keys under that prefix are
 * refused in labels and annotations (SSC's CRD refuses them too). Failures name keys and paths,
 * never content.
 */
public final class SecretContent {
  public static final String MANAGED_LABEL = "secrets-store.sync.x-k8s.io";
  public static final String OPAQUE = "Opaque";
  public static final String TLS = "kubernetes.io/tls";
  static final String TLS_CRT = "tls.crt";
  static final String TLS_KEY = "tls.key";

  /** What to write: type, data (sorted by key), labels and annotations. */
  public record Desired(String type, Map<String, byte[]> data, Map<String, String> labels,
      Map<String, String> annotations) {
    public Desired {
      data = Collections.unmodifiableMap(new TreeMap<>(data));
      labels = Collections.unmodifiableMap(new TreeMap<>(labels));
      annotations = Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    @Override
    public String toString() {
      return "Desired[type=" + type + ", keys=" + data.keySet() + "]";
    }
  }

  private SecretContent() {}

  /**
   * @throws SyncFailure.Failed FETCH_FAILED for a missing sourcePath, SYNC_ERROR for an unusable TLS
   *     file, LABEL_ERROR or ANNOTATION_ERROR for a reserved key
   */
  public static Desired build(SecretSyncSpec.SecretObject object, Map<String, byte[]> files) {
    String type = object.type() == null || object.type().isBlank() ? OPAQUE : object.type().trim();
    for (String key : object.labels().keySet()) {
      if (key.startsWith(MANAGED_LABEL)) {
        throw new SyncFailure(SyncFailure.LABEL_ERROR, "", "label " + key + " is reserved for the controller")
            .toException();
      }
    }
    for (String key : object.annotations().keySet()) {
      if (key.startsWith(MANAGED_LABEL)) {
        throw new SyncFailure(SyncFailure.ANNOTATION_ERROR, "", "annotation " + key + " is reserved for the controller")
            .toException();
      }
    }
    if (object.data().isEmpty()) {
      throw new SyncFailure(SyncFailure.SYNC_ERROR, "", "secretObject.data is empty").toException();
    }
    boolean tls = TLS.equals(type);
    Map<String, byte[]> data = new LinkedHashMap<>();
    for (SecretSyncSpec.SecretObjectData item : object.data()) {
      String source = item.sourcePath() == null ? "" : item.sourcePath();
      String key = item.targetKey() == null ? "" : item.targetKey();
      byte[] content = files.get(source);
      if (content == null) {
        throw new SyncFailure(SyncFailure.FETCH_FAILED, "",
            "the provider returned no file for sourcePath \"" + source + "\"").toException();
      }
      data.put(key, tls ? tlsPart(key, source, content) : content);
    }
    if (tls && !(data.containsKey(TLS_CRT) && data.containsKey(TLS_KEY))) {
      throw new SyncFailure(SyncFailure.SYNC_ERROR, "",
          "a kubernetes.io/tls Secret needs both targetKeys tls.crt and tls.key").toException();
    }
    Map<String, String> labels = new LinkedHashMap<>(object.labels());
    labels.put(MANAGED_LABEL, "");
    return new Desired(type, data, labels, object.annotations());
  }

  private static byte[] tlsPart(String key, String source, byte[] content) {
    try {
      byte[] pem = looksLikePem(content) ? content : pfxToPem(content);
      return switch (key) {
        case TLS_CRT -> TlsPem.certificates(pem);
        case TLS_KEY -> TlsPem.privateKey(pem);
        default -> throw new TlsPem.BadPem("is mapped to \"" + key + "\": a kubernetes.io/tls Secret takes only tls.crt and tls.key");
      };
    } catch (TlsPem.BadPem e) {
      throw new SyncFailure(SyncFailure.SYNC_ERROR, "", "sourcePath \"" + source + "\" " + e.getMessage())
          .toException();
    }
  }

  private static boolean looksLikePem(byte[] content) {
    return new String(content, StandardCharsets.ISO_8859_1).contains("-----BEGIN ");
  }

  /**
   * A PKCS#12 file without a password (as Azure Key Vault and others return certificates) as PEM:
   * the first key entry's certificate chain, then its key as PKCS#8. Parser messages are not kept.
   */
  static byte[] pfxToPem(byte[] pfx) throws TlsPem.BadPem {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(new ByteArrayInputStream(pfx), new char[0]);
      for (String alias : Collections.list(store.aliases())) {
        if (!store.isKeyEntry(alias)) {
          continue;
        }
        Key key = store.getKey(alias, new char[0]);
        if (!(key instanceof PrivateKey)) {
          continue;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Certificate[] chain = store.getCertificateChain(alias);
        if (chain != null) {
          for (Certificate c : chain) {
            out.writeBytes(TlsPem.encode(TlsPem.CERTIFICATE, c.getEncoded()));
          }
        }
        out.writeBytes(TlsPem.encode(TlsPem.PKCS8, key.getEncoded()));
        return out.toByteArray();
      }
      throw new TlsPem.BadPem("is a PKCS#12 file without a private key");
    } catch (TlsPem.BadPem e) {
      throw e;
    } catch (Exception e) {
      throw new TlsPem.BadPem("is neither PEM nor a PKCS#12 file without a password (" + e.getClass().getSimpleName() + ")");
    }
  }
}
