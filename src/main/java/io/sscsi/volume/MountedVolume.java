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
 * @param secretRef the name of the pod's nodePublishSecretRef Secret, when it has one
 * @param recovered adopted after a driver restart and not republished by kubelet since: the
 *     request is rebuilt from the status object (no tokens), so the volume does not refresh on its own
 */
public record MountedVolume(
    PublishRequest request,
    ProviderClass spc,
    Map<String, String> versions,
    int fileCount,
    Instant lastSuccess,
    Instant lastAttempt,
    Optional<String> lastError,
    Optional<String> secretRef,
    boolean recovered) {

  public MountedVolume {
    versions = Map.copyOf(versions);
  }

  static MountedVolume fetched(PublishRequest request, ProviderClass spc, Map<String, String> versions, int files,
      Instant at, Optional<String> secretRef) {
    return new MountedVolume(request, spc, versions, files, at, at, Optional.empty(), secretRef, false);
  }

  /** A volume found mounted at start, described by its status object; its payload was written at {@code at}. */
  static MountedVolume recovered(java.nio.file.Path target, io.sscsi.spc.PodStatus status, Instant at) {
    Map<String, String> context = Map.of(
        "secretProviderClass", status.className(),
        "csi.storage.k8s.io/pod.name", status.podName(),
        "csi.storage.k8s.io/pod.namespace", status.podNamespace(),
        "csi.storage.k8s.io/pod.uid", status.podUid());
    PublishRequest request = new PublishRequest("", target, status.className(), status.podName(),
        status.podNamespace(), status.podUid(), context, Map.of());
    ProviderClass spc = new ProviderClass(status.podNamespace(), status.className(), "", Map.of(), java.util.List.of());
    return new MountedVolume(request, spc, status.objectVersions(), 0, at, at, Optional.empty(), Optional.empty(), true);
  }

  MountedVolume withRequest(PublishRequest fresh) {
    return new MountedVolume(fresh, spc, versions, fileCount, lastSuccess, lastAttempt, lastError, secretRef, false);
  }

  MountedVolume withFailure(Instant at, String error) {
    return new MountedVolume(request, spc, versions, fileCount, lastSuccess, at, Optional.of(error), secretRef, recovered);
  }

  String provider() {
    return spc.provider();
  }

  SecretSync.PodRef pod() {
    return new SecretSync.PodRef(request.podNamespace(), request.podName(), request.podUid());
  }
}
