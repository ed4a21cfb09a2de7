package io.sscsi.volume;

import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.SecretSync;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What a VolumeActor knows about the content it mounted.
 *
 * @param request the latest publish request for it, with kubelet's freshest tokens (holds secrets:
 *     never log it whole)
 * @param spc the SecretProviderClass it was last fetched with
 * @param versions object id to version
 * @param fileCount number of files written
 * @param lastSuccess when the provider last answered successfully for it
 * @param lastAttempt when a refresh was last tried
 * @param lastError why the last refresh failed, if it did (no secret in it)
 */
public record MountedVolume(
    PublishRequest request,
    ProviderClass spc,
    Map<String, String> versions,
    int fileCount,
    Instant lastSuccess,
    Instant lastAttempt,
    Optional<String> lastError) {

  public MountedVolume {
    versions = Map.copyOf(versions);
  }

  static MountedVolume fetched(PublishRequest request, ProviderClass spc, Map<String, String> versions, int files,
      Instant at) {
    return new MountedVolume(request, spc, versions, files, at, at, Optional.empty());
  }

  MountedVolume withRequest(PublishRequest fresh) {
    return new MountedVolume(fresh, spc, versions, fileCount, lastSuccess, lastAttempt, lastError);
  }

  MountedVolume withFailure(Instant at, String error) {
    return new MountedVolume(request, spc, versions, fileCount, lastSuccess, at, Optional.of(error));
  }

  String provider() {
    return spc.provider();
  }

  SecretSync.PodRef pod() {
    return new SecretSync.PodRef(request.podNamespace(), request.podName(), request.podUid());
  }
}
