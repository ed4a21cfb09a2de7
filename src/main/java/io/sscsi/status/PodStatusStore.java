package io.sscsi.status;

import io.sscsi.errors.DriverException;

/**
 * Persists SecretProviderClassPodStatus objects. Implementations block and must be called on the
 * blocking dispatcher.
 */
public interface PodStatusStore {

  /**
   * Creates the status object, or updates it when it exists (node label, owner reference and
   * status replaced, as for a StatefulSet pod that moved nodes).
   *
   * @throws DriverException API_UNAVAILABLE or API_FORBIDDEN
   */
  void upsert(PodStatus status);

  /** Deletes the status object; a missing one is not an error. */
  void delete(String podNamespace, String objectName);

  /**
   * Every status object labelled for {@code nodeId}, for restart recovery (in a cluster the
   * SecretProviderClassPodStatus objects, in local mode the status files). A store that cannot list
   * returns none, and then nothing is recovered.
   */
  default java.util.List<PodStatus> listForNode(String nodeId) {
    return java.util.List.of();
  }

  /** Whether pod {@code namespace/name} still exists with this uid; unknown counts as alive. */
  default boolean podExists(String namespace, String name, String uid) {
    return true;
  }
}
