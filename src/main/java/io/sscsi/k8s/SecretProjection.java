package io.sscsi.k8s;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClass.DataItem;
import io.sscsi.spc.ProviderClass.SecretObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Pure: the Secret one {@code spec.secretObjects[]} entry asks for, built from the files mounted in
 * a pod's volume (relative path to bytes), as upstream's SPCPS controller builds it. Each data item
 * copies the file {@code objectName} to the key {@code key}; for {@code kubernetes.io/tls} the keys
 * must be {@code tls.crt} and {@code tls.key}, which get the certificates and the private key cut
 * out of the file ({@link TlsPem}). An empty type means {@code Opaque}; any other type string is
 * passed through as upstream does (the API server validates it). Labels are the entry's plus
 * {@code secrets-store.csi.k8s.io/managed: "true"}; annotations are the entry's. Every failure is a
 * {@link DriverException} SPC_INVALID naming the Secret, the class and the object, never content.
 */
public final class SecretProjection {

  public static final String MANAGED_LABEL = "secrets-store.csi.k8s.io/managed";
  public static final String OPAQUE = "Opaque";
  public static final String TLS = "kubernetes.io/tls";
  public static final String TLS_CERT_KEY = "tls.crt";
  public static final String TLS_PRIVATE_KEY = "tls.key";

  /** The Secret types upstream documents; others pass through unchecked. */
  public static final List<String> DOCUMENTED_TYPES = List.of(
      OPAQUE,
      "kubernetes.io/basic-auth",
      "bootstrap.kubernetes.io/token",
      "kubernetes.io/dockerconfigjson",
      "kubernetes.io/dockercfg",
      "kubernetes.io/ssh-auth",
      "kubernetes.io/service-account-token",
      TLS);

  /** A Secret holds at most 1 MiB of data; larger files are refused before they are read whole. */
  public static final long MAX_SECRET_BYTES = 1024 * 1024;

  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern DATA_KEY = Pattern.compile("[-._a-zA-Z0-9]+");
  private static final int MAX_NAME = 253;

  private SecretProjection() {}

  /** The entry's Secret name, trimmed as upstream trims it (may be empty). */
  public static String secretName(SecretObject so) {
    return so.secretName() == null ? "" : so.secretName().trim();
  }

  /** Whether {@code name} is a valid Secret name (a DNS-1123 subdomain). */
  public static boolean validSecretName(String name) {
    return name != null && name.length() <= MAX_NAME && DNS_SUBDOMAIN.matcher(name).matches();
  }

  /** The mounted files (trimmed objectNames) the entry reads, in order; blanks left out. */
  public static Set<String> objectNames(SecretObject so) {
    Set<String> out = new LinkedHashSet<>();
    for (DataItem item : so.data()) {
      String objectName = trim(item == null ? null : item.objectName());
      if (!objectName.isEmpty()) {
        out.add(objectName);
      }
    }
    return out;
  }

  /**
   * Builds the Secret for {@code so} of {@code spc} (namespace = the class's) from {@code files}.
   *
   * @throws DriverException SPC_INVALID when the entry is incomplete, a file is missing or too large,
   *     or a TLS file holds no usable certificate or key
   */
  public static DesiredSecret project(ProviderClass spc, SecretObject so, Map<String, byte[]> files) {
    String name = secretName(so);
    if (name.isEmpty()) {
      throw invalid(spc, "?", "secretName is empty");
    }
    if (!validSecretName(name)) {
      throw invalid(spc, name,
          "secretName is not a valid Secret name (lowercase DNS subdomain, at most 253 characters)");
    }
    String type = so.type() == null || so.type().isBlank() ? OPAQUE : so.type().trim();
    if (so.data().isEmpty()) {
      throw invalid(spc, name, "data is empty");
    }
    boolean tls = TLS.equals(type);
    Map<String, byte[]> data = new TreeMap<>();
    long total = 0;
    for (DataItem item : so.data()) {
      String objectName = trim(item == null ? null : item.objectName());
      String key = trim(item == null ? null : item.key());
      if (objectName.isEmpty()) {
        throw invalid(spc, name, "a data item has no objectName");
      }
      if (key.isEmpty()) {
        throw invalid(spc, name, "the data item for objectName \"" + objectName + "\" has no key");
      }
      if (key.length() > MAX_NAME || !DATA_KEY.matcher(key).matches() || key.equals(".") || key.equals("..")) {
        throw invalid(spc, name, "key \"" + key + "\" is not a valid Secret data key");
      }
      if (data.containsKey(key)) {
        throw invalid(spc, name, "key \"" + key + "\" is listed more than once");
      }
      byte[] content = files.get(objectName);
      if (content == null) {
        throw invalid(spc, name, "file matching objectName \"" + objectName + "\" not found in the pod");
      }
      byte[] value = tls ? tlsPart(spc, name, objectName, key, content) : content;
      total += value.length;
      if (total > MAX_SECRET_BYTES) {
        throw invalid(spc, name,
            "data would exceed the 1 MiB a Secret can hold (at objectName \"" + objectName + "\")");
      }
      data.put(key, value);
    }
    if (tls && !(data.containsKey(TLS_CERT_KEY) && data.containsKey(TLS_PRIVATE_KEY))) {
      throw invalid(spc, name, "a kubernetes.io/tls Secret needs both keys tls.crt and tls.key");
    }
    Map<String, String> labels = new LinkedHashMap<>(so.labels());
    labels.put(MANAGED_LABEL, "true");
    return new DesiredSecret(spc.namespace(), name, type, data, labels, new HashMap<>(so.annotations()));
  }

  private static byte[] tlsPart(ProviderClass spc, String secret, String objectName, String key, byte[] content) {
    try {
      return switch (key) {
        case TLS_CERT_KEY -> TlsPem.certificates(content);
        case TLS_PRIVATE_KEY -> TlsPem.privateKey(content);
        default -> throw invalid(spc, secret, "key \"" + key
            + "\" is not allowed in a kubernetes.io/tls Secret (only tls.crt and tls.key)");
      };
    } catch (TlsPem.BadPem e) {
      throw invalid(spc, secret, "objectName \"" + objectName + "\" for key " + key + " " + e.getMessage());
    }
  }

  private static DriverException invalid(ProviderClass spc, String secret, String why) {
    return new DriverException(FailureKind.SPC_INVALID, "cannot build Secret " + spc.namespace() + "/" + secret
        + " from SecretProviderClass " + spc.name() + ": " + why);
  }

  private static String trim(String s) {
    return s == null ? "" : s.trim();
  }
}
