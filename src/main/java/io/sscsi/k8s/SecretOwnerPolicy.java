package io.sscsi.k8s;

import java.util.Locale;

/**
 * Who owns a synced Secret ({@code --secret-owner}, Helm {@code hardening.secretOwner}).
 *
 * <p>{@link #WORKLOAD}, the default, is upstream v1.6.0's: the owner-reference patcher
 * ({@code controllers/secretproviderclasspodstatus_controller.go}, {@code Patcher} and
 * {@code patchSecretWithOwnerRef}) gives the Secret each mounting pod's own owner references (its
 * ReplicaSet, StatefulSet, DaemonSet or Job), or the pod's SecretProviderClassPodStatus when the
 * pod has no owner, adds only owners whose name the Secret does not list yet, never takes one off
 * and never deletes the Secret: Kubernetes' garbage collector does when every owner is gone, so the
 * Secret lives as long as the workload (scale to zero and pod churn keep it).
 *
 * <p>{@link #POD_STATUS}, opt-in: each mounting pod's SecretProviderClassPodStatus owns the
 * Secret, an unpublished pod's owner is taken off and the Secret is deleted with the last mounting
 * pod, so no synced Secret outlives the pods that use it.
 */
public enum SecretOwnerPolicy {
  WORKLOAD("workload"),
  POD_STATUS("pod-status");

  private final String flag;

  SecretOwnerPolicy(String flag) {
    this.flag = flag;
  }

  /** The value as {@code --secret-owner} spells it. */
  public String flag() {
    return flag;
  }

  /** The policy {@code value} names ({@code workload} or {@code pod-status}). */
  public static SecretOwnerPolicy parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (SecretOwnerPolicy p : values()) {
      if (p.flag.equals(v)) {
        return p;
      }
    }
    throw new IllegalArgumentException("--secret-owner must be \"workload\" (upstream's default) or \"pod-status\", got \""
        + value + "\"");
  }
}
