package io.sscsi.volume;

import io.sscsi.pods.PodRef;
import io.sscsi.status.PodStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A volume found mounted with a complete payload after a driver restart, known only from its
 * SecretProviderClassPodStatus: pod, class name and object versions. Its provider, parameters,
 * nodePublishSecretRef and kubelet's tokens are learned on kubelet's next publish, after which it is
 * a {@link MountedVolume} like any other.
 *
 * @param target the mount point
 * @param status its status object
 * @param payloadTime when its payload was last swapped in (the target's mtime)
 * @param lastAttempt when the driver last tried something on it (the payload time until then)
 * @param lastError why the last attempt failed (learning its class, an unpublish refused), empty after a success
 * @param contentRemoved a failed unpublish deleted its files: once learned, it is fetched again
 */
public record AdoptedVolume(Path target, PodStatus status, Instant payloadTime, Instant lastAttempt,
    Optional<String> lastError, boolean contentRemoved) {

  /** As restart recovery finds it: nothing tried yet. */
  public AdoptedVolume(Path target, PodStatus status, Instant payloadTime) {
    this(target, status, payloadTime, payloadTime, Optional.empty(), false);
  }

  /**
   * As restart recovery finds a volume its status names but whose files are gone (an unpublish deleted
   * them, then failed before the restart): owned by the status's pod, fetched again on republish.
   */
  static AdoptedVolume emptied(Path target, PodStatus status, Instant payloadTime) {
    return new AdoptedVolume(target, status, payloadTime, payloadTime,
        Optional.of("found without its files after a restart (an unpublish deleted them, then failed)"), true);
  }

  /** The same volume after a failed attempt at {@code when}; its content is untouched. */
  AdoptedVolume withFailure(Instant when, String error) {
    return new AdoptedVolume(target, status, payloadTime, when, Optional.of(error), contentRemoved);
  }

  /** After an unpublish that deleted its files and then failed: learned on republish, then fetched again. */
  AdoptedVolume emptiedBy(Instant when, String error) {
    return new AdoptedVolume(target, status, payloadTime, when,
        Optional.of(error + "; the volume's files were already deleted"), true);
  }

  Map<String, String> versions() {
    return status.objectVersions();
  }

  PodRef pod() {
    return new PodRef(status.podNamespace(), status.podName(), status.podUid());
  }
}
