package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.errors.ForeignText;
import io.sscsi.status.PodStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: the pod and SecretProviderClass a published target belongs to, and whether a publish may
 * use it. kubelet publishes a target only for the pod whose volume it is, always with that volume's
 * class, so a publish to a mounted target for another pod (uid, name or namespace) or another class
 * is not a republish: answering it OK would hand that caller the first pod's content. It is refused
 * as the CSI spec says for "volume published but is incompatible" (ALREADY_EXISTS, "caller must fix
 * the arguments"), and nothing changes.
 *
 * @param podNamespace the pod's namespace
 * @param podName the pod's name
 * @param podUid the pod's uid
 * @param className the SecretProviderClass name
 */
record TargetOwner(String podNamespace, String podName, String podUid, String className) {

  /** The owner a publish asks for. */
  static TargetOwner of(PublishRequest request) {
    return new TargetOwner(request.podNamespace(), request.podName(), request.podUid(), request.className());
  }

  /** The owner an adopted volume's status object names. */
  static TargetOwner of(PodStatus status) {
    return new TargetOwner(status.podNamespace(), status.podName(), status.podUid(), status.className());
  }

  /** Whether {@code request} is for this owner: the same pod (namespace, name, uid) and class. */
  boolean owns(PublishRequest request) {
    return equals(of(request));
  }

  /**
   * The refusal of {@code request}, a publish to {@code target} for another owner: ALREADY_EXISTS,
   * naming what differs (pod and class names are no secrets).
   */
  DriverException refusal(Path target, PublishRequest request) {
    TargetOwner asked = of(request);
    List<String> differs = new ArrayList<>();
    if (!podNamespace.equals(asked.podNamespace) || !podName.equals(asked.podName)) {
      differs.add("pod " + ForeignText.bounded(asked.podNamespace + "/" + asked.podName));
    }
    if (!podUid.equals(asked.podUid)) {
      differs.add("pod uid " + ForeignText.bounded(asked.podUid));
    }
    if (!className.equals(asked.className)) {
      differs.add("SecretProviderClass " + ForeignText.bounded(asked.className));
    }
    return new DriverException(FailureKind.TARGET_IN_USE, "target path " + target + " is already published for pod "
        + ForeignText.bounded(podNamespace + "/" + podName) + " (uid " + ForeignText.bounded(podUid)
        + ") with SecretProviderClass " + ForeignText.bounded(className)
        + "; refusing a publish for " + String.join(", ", differs) + " (nothing was changed)");
  }
}
