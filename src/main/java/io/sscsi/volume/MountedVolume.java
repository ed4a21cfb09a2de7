package io.sscsi.volume;

import io.sscsi.pods.PodRef;
import io.sscsi.provider.ProviderName;
import io.sscsi.spc.ProviderClass;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What a VolumeActor knows about content it mounted (or adopted and has since seen republished).
 *
 * @param request the latest publish request for it, with kubelet's freshest tokens (holds secrets:
 *     never log it whole)
 * @param spc the SecretProviderClass it was last fetched (or learned) with
 * @param provider the class's provider
 * @param versions object id to version
 * @param lastSuccess when the provider last answered successfully for it
 * @param lastAttempt when a refresh was last tried
 * @param lastError why the last refresh failed, if it did (no secret in it)
 * @param secretRef the name of the pod's nodePublishSecretRef Secret, when it has one
 * @param contentRemoved a failed unpublish deleted its files: kubelet's next republish must fetch again
 * @param podGone the API server said its pod (this uid) is gone: it writes no status object and owns no
 *     Secret, and waits for kubelet's unpublish
 */
public record MountedVolume(
    PublishRequest request,
    ProviderClass spc,
    ProviderName provider,
    Map<String, String> versions,
    Instant lastSuccess,
    Instant lastAttempt,
    Optional<String> lastError,
    Optional<String> secretRef,
    boolean contentRemoved,
    boolean podGone) {

  public MountedVolume {
    versions = SharedStrings.versions(versions);
  }

  static MountedVolume fetched(PublishRequest request, ProviderClass spc, ProviderName provider,
      Map<String, String> versions, Instant at, Optional<String> secretRef) {
    return new MountedVolume(request, spc, provider, versions, at, at, Optional.empty(), secretRef, false, false);
  }

  /** An adopted volume, now that kubelet's publish told what its status object could not. */
  static MountedVolume learned(AdoptedVolume adopted, PublishRequest request, ProviderClass spc,
      ProviderName provider, Optional<String> secretRef) {
    return new MountedVolume(request, spc, provider, adopted.versions(), adopted.payloadTime(),
        adopted.lastAttempt(), adopted.contentRemoved() ? adopted.lastError() : Optional.empty(), secretRef,
        adopted.contentRemoved(), false);
  }

  MountedVolume withRequest(PublishRequest fresh) {
    return new MountedVolume(fresh, spc, provider, versions, lastSuccess, lastAttempt, lastError, secretRef,
        contentRemoved, podGone);
  }

  MountedVolume withFailure(Instant at, String error) {
    return new MountedVolume(request, spc, provider, versions, lastSuccess, at, Optional.of(error), secretRef,
        contentRemoved, podGone);
  }

  /**
   * The same volume after an unpublish that deleted its files and then failed: still mounted, empty.
   * Its next republish fetches and writes again, and answers kubelet's error if that fails.
   */
  MountedVolume emptiedBy(Instant at, String error) {
    return new MountedVolume(request, spc, provider, versions, lastSuccess, at,
        Optional.of(error + "; the volume's files were already deleted"), secretRef, true, podGone);
  }

  /** The same volume once the API server said its pod is gone. */
  MountedVolume ofGonePod() {
    return new MountedVolume(request, spc, provider, versions, lastSuccess, lastAttempt, lastError, secretRef,
        contentRemoved, true);
  }

  PodRef pod() {
    return new PodRef(request.podNamespace(), request.podName(), request.podUid());
  }
}
