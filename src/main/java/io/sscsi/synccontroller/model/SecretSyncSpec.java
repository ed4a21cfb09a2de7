package io.sscsi.synccontroller.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * {@code SecretSync.spec}, as SSC defines it. Fields may be null when a manifest left them out (the
 * CRD validates them in a cluster; local mode and the controller check again).
 *
 * @param secretProviderClassName the class in the same namespace
 * @param serviceAccountName whose tokens the provider gets
 * @param secretObject the Secret to write
 * @param forceSynchronization any change forces a sync
 * @param secretSyncControllerName never read (SSC does not read it either)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SecretSyncSpec(String secretProviderClassName, String serviceAccountName, SecretObject secretObject,
    String forceSynchronization, String secretSyncControllerName) {

  /** {@code spec.secretObject}: the Secret's type (default Opaque), data mapping, labels and annotations. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SecretObject(String type, List<SecretObjectData> data, Map<String, String> labels,
      Map<String, String> annotations) {
    public SecretObject {
      data = data == null ? List.of() : List.copyOf(data);
      labels = labels == null ? Map.of() : Map.copyOf(labels);
      annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }
  }

  /** One {@code secretObject.data[]} entry: the provider's file {@code sourcePath} to the key {@code targetKey}. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SecretObjectData(String sourcePath, String targetKey) {}
}
