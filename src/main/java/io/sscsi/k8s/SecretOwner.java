package io.sscsi.k8s;

import java.util.Objects;

/**
 * One owner of a synced Secret: the SecretProviderClassPodStatus of a pod that mounts it, as the
 * owner reference {@code {apiVersion: secrets-store.csi.x-k8s.io/v1, kind:
 * SecretProviderClassPodStatus, name, uid}} (no {@code controller}, no {@code blockOwnerDeletion}).
 * A null uid means "not known": such an owner can only be removed, matched by name.
 */
public record SecretOwner(String name, String uid) {
  public static final String API_VERSION = "secrets-store.csi.x-k8s.io/v1";
  public static final String KIND = "SecretProviderClassPodStatus";

  public SecretOwner {
    Objects.requireNonNull(name, "name");
  }
}
