package io.sscsi.spc;

import java.util.List;
import java.util.Map;

/**
 * A SecretProviderClass as the driver uses it, independent of where it was read from (the API
 * server, or a directory of manifests in local mode).
 *
 * @param namespace the namespace it lives in (always the pod's namespace)
 * @param name its name
 * @param provider {@code spec.provider}: the provider's name and socket basename
 * @param parameters {@code spec.parameters}: opaque provider parameters
 * @param secretObjects {@code spec.secretObjects}: Kubernetes Secrets to mirror the content into
 */
public record ProviderClass(
    String namespace,
    String name,
    String provider,
    Map<String, String> parameters,
    List<SecretObject> secretObjects) {

  public ProviderClass {
    parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
    secretObjects = secretObjects == null ? List.of() : List.copyOf(secretObjects);
  }

  /** One {@code spec.secretObjects[]} entry. */
  public record SecretObject(
      String secretName,
      String type,
      Map<String, String> labels,
      Map<String, String> annotations,
      List<DataItem> data) {
    public SecretObject {
      labels = labels == null ? Map.of() : Map.copyOf(labels);
      annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
      data = data == null ? List.of() : List.copyOf(data);
    }
  }

  /** One {@code secretObjects[].data[]} entry: mounted file {@code objectName} to Secret key {@code key}. */
  public record DataItem(String objectName, String key) {}
}
