package io.sscsi.status;

import java.util.Map;
import java.util.TreeMap;

/**
 * What a SecretProviderClassPodStatus records for one mounted volume.
 *
 * @param podName the pod's name
 * @param podNamespace the pod's namespace (and the status object's)
 * @param podUid the pod's uid, used for the owner reference
 * @param className the SecretProviderClass name
 * @param nodeId the node this driver runs on (label {@code internal.secrets-store.csi.k8s.io/node-name})
 * @param targetPath the volume's target path
 * @param objectVersions object id to version, as the provider returned them
 */
public record PodStatus(
    String podName,
    String podNamespace,
    String podUid,
    String className,
    String nodeId,
    String targetPath,
    Map<String, String> objectVersions) {

  public PodStatus {
    objectVersions = Map.copyOf(objectVersions);
  }

  /** The status object's name: {@code <pod>-<namespace>-<class>}, as upstream names it. */
  public String objectName() {
    return podStatusName(podName, podNamespace, className);
  }

  /** The object versions sorted by id, as upstream writes {@code status.objects}. */
  public Map<String, String> sortedVersions() {
    return new TreeMap<>(objectVersions);
  }

  public static String podStatusName(String podName, String podNamespace, String className) {
    return podName + "-" + podNamespace + "-" + className;
  }
}
