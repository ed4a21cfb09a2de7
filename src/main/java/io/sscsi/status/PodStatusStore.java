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

  /** How a refresh's status write ended. */
  enum RefreshWrite { WRITTEN, POD_GONE }

  /**
   * A refresh's write: as {@link #upsert}, except that an object the server no longer has (garbage
   * collection removes it once its pod is deleted) is created again only after the pod was found to
   * exist with this uid. For a pod the API server says is gone (not found, or another uid) nothing is
   * written. The pod is read only when an object would be created, never on an update.
   *
   * @throws DriverException API_UNAVAILABLE or API_FORBIDDEN
   */
  default RefreshWrite upsertForRefresh(PodStatus status) {
    upsert(status);
    return RefreshWrite.WRITTEN;
  }

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
