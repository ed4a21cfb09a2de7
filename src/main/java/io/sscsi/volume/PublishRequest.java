package io.sscsi.volume;

import java.nio.file.Path;
import java.util.Map;

/**
 * A validated NodePublishVolume request in the driver's own terms.
 *
 * <p>{@code secrets} holds nodePublishSecretRef data and possibly service-account tokens, and
 * {@code volumeContext} may hold tokens: {@link #toString()} names neither's values.
 *
 * @param volumeId kubelet's volume handle
 * @param targetPath where the tmpfs is mounted
 * @param className the SecretProviderClass name (volume attribute {@code secretProviderClass})
 * @param podName pod name from {@code csi.storage.k8s.io/pod.name}
 * @param podNamespace pod namespace, where the class is looked up
 * @param podUid pod uid, the SecretProviderClassPodStatus owner
 * @param volumeContext every volume attribute, forwarded to the provider
 * @param secrets the request's secrets field (nodePublishSecretRef data)
 */
public record PublishRequest(
    String volumeId,
    Path targetPath,
    String className,
    String podName,
    String podNamespace,
    String podUid,
    Map<String, String> volumeContext,
    Map<String, String> secrets) {

  public PublishRequest {
    className = SharedStrings.of(className);
    podNamespace = SharedStrings.of(podNamespace);
    volumeContext = SharedStrings.attributes(volumeContext);
    secrets = Map.copyOf(secrets);
  }

  @Override
  public String toString() {
    return "PublishRequest[volumeId=" + volumeId + ", targetPath=" + targetPath + ", class=" + className
        + ", pod=" + podNamespace + "/" + podName + ", podUid=" + podUid
        + ", volumeContextKeys=" + new java.util.TreeSet<>(volumeContext.keySet())
        + ", secrets=" + secrets.size() + " keys]";
  }
}
