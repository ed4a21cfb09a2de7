package io.sscsi.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.errors.ForeignText;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClassSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads SecretProviderClasses from the API server with one GET per call (no informer cache), in
 * the pod's namespace, and checks them as upstream does: a missing class is SPC_NOT_FOUND, a class
 * without provider or parameters is SPC_INVALID. API failures become API_FORBIDDEN or
 * API_UNAVAILABLE. Null entries and null map values, which the schema-less CRD lets through, are
 * dropped rather than failing the mount. Blocking: call on the blocking dispatcher.
 */
public final class KubeProviderClassSource implements ProviderClassSource {

  private static final String RBAC_HINT =
      "\"get\" on secretproviderclasses.secrets-store.csi.x-k8s.io";

  private final KubernetesClient client;

  public KubeProviderClassSource(KubeConnection connection) {
    this(connection.client());
  }

  KubeProviderClassSource(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public ProviderClass get(String namespace, String name) {
    if (namespace == null || namespace.isBlank() || name == null || name.isBlank()) {
      throw new DriverException(
          FailureKind.INVALID_REQUEST,
          "SecretProviderClass name and pod namespace are required (got name \""
              + ForeignText.bounded(name) + "\", namespace \"" + ForeignText.bounded(namespace) + "\")");
    }
    SecretProviderClass spc;
    try {
      spc = client.resources(SecretProviderClass.class).inNamespace(namespace).withName(name).get();
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == KubeErrors.NOT_FOUND) {
        spc = null;
      } else {
        throw KubeErrors.translate(
            e, "get SecretProviderClass " + namespace + "/" + name, RBAC_HINT);
      }
    }
    if (spc == null) {
      throw new DriverException(
          FailureKind.SPC_NOT_FOUND,
          "SecretProviderClass \"" + ForeignText.bounded(name) + "\" not found in namespace \""
              + ForeignText.bounded(namespace) + "\"");
    }
    return toProviderClass(namespace, name, spc.getSpec());
  }

  /**
   * A class's spec as the driver uses it, wherever the spec was read from (API server or a local
   * manifest). Null entries and values are dropped.
   *
   * @throws DriverException SPC_INVALID when provider or parameters are missing
   */
  public static ProviderClass toProviderClass(String namespace, String name, SecretProviderClassSpec spec) {
    String provider = spec == null ? null : spec.provider();
    if (provider == null || provider.isBlank()) {
      throw new DriverException(
          FailureKind.SPC_INVALID, "provider not set in " + ForeignText.bounded(namespace + "/" + name));
    }
    Map<String, String> parameters = nonNullValues(spec.parameters());
    if (parameters.isEmpty()) {
      throw new DriverException(
          FailureKind.SPC_INVALID, "parameters not set in " + ForeignText.bounded(namespace + "/" + name));
    }
    List<ProviderClass.SecretObject> secretObjects = new ArrayList<>();
    if (spec.secretObjects() != null) {
      for (SecretProviderClassSpec.SecretObject so : spec.secretObjects()) {
        if (so != null) {
          secretObjects.add(toSecretObject(so));
        }
      }
    }
    return new ProviderClass(namespace, name, provider, parameters, secretObjects);
  }

  private static ProviderClass.SecretObject toSecretObject(SecretProviderClassSpec.SecretObject so) {
    List<ProviderClass.DataItem> data = new ArrayList<>();
    if (so.data() != null) {
      for (SecretProviderClassSpec.SecretObjectData d : so.data()) {
        if (d != null) {
          data.add(new ProviderClass.DataItem(d.objectName(), d.key()));
        }
      }
    }
    return new ProviderClass.SecretObject(
        so.secretName(), so.type(), nonNullValues(so.labels()), nonNullValues(so.annotations()), data);
  }

  private static Map<String, String> nonNullValues(Map<String, String> in) {
    Map<String, String> out = new LinkedHashMap<>();
    if (in != null) {
      in.forEach(
          (k, v) -> {
            if (k != null && v != null) {
              out.put(k, v);
            }
          });
    }
    return out;
  }
}
