package io.sscsi.k8s;

import java.util.Objects;

/**
 * One owner of a synced Secret, as the owner reference {@code {apiVersion, kind, name, uid}} (no
 * {@code controller}, no {@code blockOwnerDeletion}, as upstream). Sync names the owners it wants
 * as mounting pods' SecretProviderClassPodStatus objects (the two-argument form); under
 * {@link SecretOwnerPolicy#WORKLOAD} the writer puts the pods' own owners in their place. A null
 * uid means "not known": such an owner can only be removed, matched by name.
 */
public record SecretOwner(String apiVersion, String kind, String name, String uid) {
  public static final String API_VERSION = "secrets-store.csi.x-k8s.io/v1";
  public static final String KIND = "SecretProviderClassPodStatus";

  public SecretOwner {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
  }

  /** The SecretProviderClassPodStatus {@code name} (uid {@code uid}, null when not known). */
  public SecretOwner(String name, String uid) {
    this(API_VERSION, KIND, name, uid);
  }

  /** Whether this is a SecretProviderClassPodStatus. */
  public boolean isPodStatus() {
    return KIND.equals(kind) && apiVersion.startsWith("secrets-store.csi.x-k8s.io/");
  }
}
