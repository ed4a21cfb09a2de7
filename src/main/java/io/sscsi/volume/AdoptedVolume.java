package io.sscsi.volume;

import io.sscsi.status.PodStatus;
import io.sscsi.sync.SecretSync;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A volume found mounted with a complete payload after a driver restart, known only from its
 * SecretProviderClassPodStatus: pod, class name and object versions. Its provider, parameters,
 * nodePublishSecretRef and kubelet's tokens are learned on kubelet's next publish, after which it is
 * a {@link MountedVolume} like any other.
 *
 * @param target the mount point
 * @param status its status object
 * @param payloadTime when its payload was last swapped in (the target's mtime)
 */
public record AdoptedVolume(Path target, PodStatus status, Instant payloadTime) {

  Map<String, String> versions() {
    return status.objectVersions();
  }

  SecretSync.PodRef pod() {
    return new SecretSync.PodRef(status.podNamespace(), status.podName(), status.podUid());
  }
}
