package io.sscsi.k8s.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * {@code SecretProviderClassPodStatus.status}: which pod mounted which class at which target path,
 * and the version of every object the provider returned, sorted by id as upstream writes them.
 * {@code mounted} is boxed so that a missing field parses as null rather than failing.
 *
 * @param podName {@code status.podName}
 * @param secretProviderClassName {@code status.secretProviderClassName}
 * @param mounted {@code status.mounted}, always written {@code true}
 * @param targetPath {@code status.targetPath}
 * @param objects {@code status.objects}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SecretProviderClassPodStatusStatus(
    String podName,
    String secretProviderClassName,
    Boolean mounted,
    String targetPath,
    List<ObjectVersion> objects) {

  /**
   * One {@code status.objects[]} entry.
   *
   * @param id the object's id as the provider named it
   * @param version the object's version as the provider reported it
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ObjectVersion(String id, String version) {}
}
