package io.sscsi.spc;

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
}
