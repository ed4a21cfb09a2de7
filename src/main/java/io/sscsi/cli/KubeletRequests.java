package io.sscsi.cli;

import io.sscsi.csi.CsiRequests;
import io.sscsi.csi.v1.NodePublishVolumeRequest;
import io.sscsi.csi.v1.NodeUnpublishVolumeRequest;
import io.sscsi.csi.v1.VolumeCapability;
import io.sscsi.volume.ServiceAccountTokens;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Pure: the CSI requests kubelet sends for an inline (ephemeral) volume of a pod, for the CLI and
 * the demo. NodePublishVolume carries kubelet's volume handle, {@code readonly} (the pod's
 * {@code csi.readOnly: true}), a mount capability with no fs type and no flags and kubelet's access
 * mode for inline volumes (ReadWriteOnce, i.e. SINGLE_NODE_WRITER), and the volume context: the
 * volume attribute {@code secretProviderClass} plus what {@code podInfoOnMount} adds (pod name,
 * namespace, uid, service account name, {@code ephemeral: "true"}) and, with {@code tokenRequests},
 * the service-account tokens. No staging path and no secrets (no nodePublishSecretRef).
 */
public final class KubeletRequests {
  private KubeletRequests() {}

  /** The pod and volume a request is for. */
  public record Pod(String name, String namespace, String uid, String serviceAccount) {}

  /** Kubelet's handle for inline volume {@code volumeName} of pod {@code podUid}: {@code csi-<sha256(uid + name)>}. */
  public static String volumeHandle(String podUid, String volumeName) {
    return "csi-" + sha256(podUid + volumeName);
  }

  /**
   * The handle kubelet gives the inline volume at {@code target}, from the path alone, so that publish
   * and unpublish of one target send the same: kubelet lays targets out as {@code
   * <pods>/<pod uid>/volumes/kubernetes.io~csi/<volume>/mount}; elsewhere the pod uid is empty.
   */
  public static String volumeHandle(Path target) {
    return volumeHandle(podUid(target), volumeName(target));
  }

  /** The pod uid of a target laid out as kubelet does, else "". */
  static String podUid(Path target) {
    Path csi = target.getParent() == null ? null : target.getParent().getParent();
    Path volumes = csi == null ? null : csi.getParent();
    Path uid = volumes == null ? null : volumes.getParent();
    boolean kubelets = "mount".equals(String.valueOf(target.getFileName())) && csi != null
        && "kubernetes.io~csi".equals(String.valueOf(csi.getFileName()))
        && volumes != null && "volumes".equals(String.valueOf(volumes.getFileName()))
        && uid != null && uid.getFileName() != null;
    return kubelets ? uid.getFileName().toString() : "";
  }

  /** The pod volume's name as kubelet lays out target paths ({@code .../<volume>/mount}), else the last element. */
  public static String volumeName(Path target) {
    Path name = target.getFileName();
    if (name != null && name.toString().equals("mount") && target.getParent() != null
        && target.getParent().getFileName() != null) {
      return target.getParent().getFileName().toString();
    }
    return name == null ? "volume" : name.toString();
  }

  /** Kubelet's access mode and mount capability for an inline CSI volume. */
  public static VolumeCapability capability() {
    return VolumeCapability.newBuilder()
        .setMount(VolumeCapability.MountVolume.getDefaultInstance())
        .setAccessMode(VolumeCapability.AccessMode.newBuilder()
            .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
        .build();
  }

  public static NodePublishVolumeRequest publish(
      Path target, String volumeId, String className, Pod pod, Optional<String> tokensJson) {
    NodePublishVolumeRequest.Builder b = NodePublishVolumeRequest.newBuilder()
        .setVolumeId(volumeId)
        .setTargetPath(target.toString())
        .setVolumeCapability(capability())
        .setReadonly(true)
        .putVolumeContext(CsiRequests.CLASS_ATTRIBUTE, className)
        .putVolumeContext(CsiRequests.POD_NAME, pod.name())
        .putVolumeContext(CsiRequests.POD_NAMESPACE, pod.namespace())
        .putVolumeContext(CsiRequests.POD_UID, pod.uid())
        .putVolumeContext(CsiRequests.SERVICE_ACCOUNT_NAME, pod.serviceAccount())
        .putVolumeContext(CsiRequests.EPHEMERAL, "true");
    tokensJson.ifPresent(t -> b.putVolumeContext(ServiceAccountTokens.KEY, t));
    return b.build();
  }

  public static NodeUnpublishVolumeRequest unpublish(String volumeId, Path target) {
    return NodeUnpublishVolumeRequest.newBuilder().setVolumeId(volumeId).setTargetPath(target.toString()).build();
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
