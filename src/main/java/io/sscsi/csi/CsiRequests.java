package io.sscsi.csi;

import io.sscsi.csi.v1.NodePublishVolumeRequest;
import io.sscsi.csi.v1.NodeUnpublishVolumeRequest;
import io.sscsi.csi.v1.VolumeCapability;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.volume.PublishRequest;
import java.nio.file.Path;
import java.util.Map;

/**
 * Turns CSI node requests into validated driver records; every rejection is INVALID_ARGUMENT with a
 * message saying which field is wrong. The only place that reads {@code csi.v1} node requests.
 */
public final class CsiRequests {
  public static final String CLASS_ATTRIBUTE = "secretProviderClass";
  public static final String POD_NAME = "csi.storage.k8s.io/pod.name";
  public static final String POD_NAMESPACE = "csi.storage.k8s.io/pod.namespace";
  public static final String POD_UID = "csi.storage.k8s.io/pod.uid";
  public static final String SERVICE_ACCOUNT_NAME = "csi.storage.k8s.io/serviceAccount.name";
  public static final String EPHEMERAL = "csi.storage.k8s.io/ephemeral";
  private static final int MAX_TARGET_PATH = 4096;
  /**
   * Bounds on volume_context, far above what kubelet sends (a handful of keys plus the pod's
   * service-account tokens): a pod spec may not flood providers and logs through volumeAttributes.
   * 256 KiB is also Kubernetes' limit on all annotations of one object.
   */
  static final int MAX_VOLUME_CONTEXT_KEYS = 1024;
  static final int MAX_VOLUME_CONTEXT_CHARS = 256 * 1024;

  private CsiRequests() {}

  public static PublishRequest publish(NodePublishVolumeRequest r) {
    require(r.hasVolumeCapability(), "volume capability missing in request");
    require(!r.getVolumeId().isBlank(), "volume id missing in request");
    require(!r.getTargetPath().isBlank(), "target path missing in request");
    require(
        r.getVolumeCapability().getAccessTypeCase() != VolumeCapability.AccessTypeCase.BLOCK,
        "block access is not supported: secrets are mounted as files");
    require(r.getVolumeContextCount() > 0, "volume attributes missing in request");
    require(r.getVolumeContextCount() <= MAX_VOLUME_CONTEXT_KEYS, "volume attributes have "
        + r.getVolumeContextCount() + " keys, more than the " + MAX_VOLUME_CONTEXT_KEYS + " allowed");
    long chars = r.getVolumeContextMap().entrySet().stream()
        .mapToLong(e -> e.getKey().length() + (long) e.getValue().length()).sum();
    require(chars <= MAX_VOLUME_CONTEXT_CHARS, "volume attributes hold " + chars
        + " characters, more than the " + MAX_VOLUME_CONTEXT_CHARS + " allowed");
    require(r.getReadonly(), "readonly is not true in request: mount the volume with readOnly: true");
    Map<String, String> ctx = r.getVolumeContextMap();
    String className = attribute(ctx, CLASS_ATTRIBUTE, "set volumeAttributes.secretProviderClass");
    String podName = attribute(ctx, POD_NAME, "set podInfoOnMount: true on the CSIDriver");
    String podNamespace = attribute(ctx, POD_NAMESPACE, "set podInfoOnMount: true on the CSIDriver");
    String podUid = attribute(ctx, POD_UID, "set podInfoOnMount: true on the CSIDriver");
    return new PublishRequest(
        r.getVolumeId(), targetPath(r.getTargetPath()), className, podName, podNamespace, podUid,
        ctx, r.getSecretsMap());
  }

  public static Path unpublishTarget(NodeUnpublishVolumeRequest r) {
    require(!r.getVolumeId().isBlank(), "volume id missing in request");
    require(!r.getTargetPath().isBlank(), "target path missing in request");
    return targetPath(r.getTargetPath());
  }

  /** An absolute, normalised path with no {@code ..} element and no NUL. */
  static Path targetPath(String raw) {
    require(raw.length() <= MAX_TARGET_PATH, "target path longer than " + MAX_TARGET_PATH + " characters");
    require(raw.indexOf('\0') < 0, "target path contains a NUL character");
    require(raw.startsWith("/"), "target path " + raw + " is not absolute");
    for (String element : raw.split("/")) {
      require(!element.equals(".."), "target path " + raw + " contains a '..' element");
    }
    return Path.of(raw).normalize();
  }

  private static String attribute(Map<String, String> ctx, String key, String hint) {
    String value = ctx.getOrDefault(key, "").trim();
    require(!value.isEmpty(), "volume attribute " + key + " is not set (" + hint + ")");
    return value;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new DriverException(FailureKind.INVALID_REQUEST, message);
    }
  }
}
