package io.sscsi.k8s.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * {@code SecretProviderClass.spec}: the provider's name (also its socket basename), its opaque
 * string parameters and the optional Secret sync list. Any field may be missing (null): the CRD
 * schema makes all of them optional, and the driver checks them itself.
 *
 * @param provider {@code spec.provider}
 * @param parameters {@code spec.parameters}
 * @param secretObjects {@code spec.secretObjects}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SecretProviderClassSpec(
    String provider, Map<String, String> parameters, List<SecretObject> secretObjects) {

  /**
   * One {@code spec.secretObjects[]} entry: a Kubernetes Secret to create from mounted files.
   *
   * @param secretName the Secret's name
   * @param type the Secret's type, e.g. {@code Opaque} or {@code kubernetes.io/tls}
   * @param labels labels copied to the Secret
   * @param annotations annotations copied to the Secret
   * @param data mounted file to Secret key mappings
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SecretObject(
      String secretName,
      String type,
      Map<String, String> labels,
      Map<String, String> annotations,
      List<SecretObjectData> data) {}

  /**
   * One {@code spec.secretObjects[].data[]} entry.
   *
   * @param objectName the mounted file's relative path (object name or alias)
   * @param key the Secret data key
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SecretObjectData(String objectName, String key) {}
}
