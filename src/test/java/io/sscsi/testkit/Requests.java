package io.sscsi.testkit;

import io.sscsi.csi.v1.NodePublishVolumeRequest;
import io.sscsi.csi.v1.VolumeCapability;
import java.nio.file.Path;

/** NodePublishVolume requests shaped exactly as kubelet sends them for an inline volume. */
public final class Requests {
  private Requests() {}

  public static VolumeCapability mountCapability() {
    return VolumeCapability.newBuilder()
        .setMount(VolumeCapability.MountVolume.getDefaultInstance())
        .setAccessMode(VolumeCapability.AccessMode.newBuilder()
            .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_READER_ONLY))
        .build();
  }

  /** Kubelet's request for pod {@code pod} in {@code namespace}, class {@code spc}. */
  public static NodePublishVolumeRequest.Builder publish(Path target, String namespace, String pod, String uid, String spc) {
    return NodePublishVolumeRequest.newBuilder()
        .setVolumeId("csi-" + uid + "-" + target.getFileName())
        .setTargetPath(target.toString())
        .setVolumeCapability(mountCapability())
        .setReadonly(true)
        .putVolumeContext("secretProviderClass", spc)
        .putVolumeContext("csi.storage.k8s.io/pod.name", pod)
        .putVolumeContext("csi.storage.k8s.io/pod.namespace", namespace)
        .putVolumeContext("csi.storage.k8s.io/pod.uid", uid)
        .putVolumeContext("csi.storage.k8s.io/serviceAccount.name", "default")
        .putVolumeContext("csi.storage.k8s.io/ephemeral", "true");
  }
}
