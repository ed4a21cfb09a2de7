package io.sscsi.pods;

import io.sscsi.status.PodStatus;

/** A pod, as events and Secret sync need to know it. */
public record PodRef(String namespace, String name, String uid) {
  /** The name of this pod's SecretProviderClassPodStatus for {@code className}. */
  public String podStatusName(String className) {
    return PodStatus.podStatusName(name, namespace, className);
  }
}
