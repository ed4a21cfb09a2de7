package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.sscsi.synccontroller.model.SecretSync;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pure: the Secret object the controller applies for a SecretSync, and the decisions about Secrets
 * it finds. The applied object carries the type, the data (base64), the labels (with {@value
 * SecretContent#MANAGED_LABEL}), the annotations and exactly one ownerReference, to the SecretSync,
 * without {@code controller} or {@code blockOwnerDeletion} (as SSC writes it).
 */
public final class OwnedSecret {
  private OwnedSecret() {}

  public static OwnerReference owner(SecretSync sync) {
    return new OwnerReferenceBuilder().withApiVersion(SecretSync.API_VERSION).withKind(SecretSync.KIND)
        .withName(sync.getMetadata().getName()).withUid(sync.getMetadata().getUid()).build();
  }

  public static Secret applied(SecretSync sync, SecretContent.Desired desired) {
    Map<String, String> data = new LinkedHashMap<>();
    desired.data().forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v)));
    return new SecretBuilder()
        .withApiVersion("v1").withKind("Secret")
        .withNewMetadata()
        .withNamespace(sync.getMetadata().getNamespace())
        .withName(sync.getMetadata().getName())
        .withLabels(new LinkedHashMap<>(desired.labels()))
        .withAnnotations(desired.annotations().isEmpty() ? null : new LinkedHashMap<>(desired.annotations()))
        .withOwnerReferences(owner(sync))
        .endMetadata()
        .withType(desired.type())
        .withData(data)
        .build();
  }

  /**
   * Why the controller must not write over {@code existing}, or empty when it may: a Secret that
   * does not exist yet, or that carries the managed label and an ownerReference to this very
   * SecretSync (by uid), is ours; anything else was there before and is never taken over.
   */
  public static Optional<String> takeoverRefused(Secret existing, SecretSync sync) {
    if (existing == null) {
      return Optional.empty();
    }
    ObjectMeta meta = existing.getMetadata();
    boolean labelled = meta.getLabels() != null && meta.getLabels().containsKey(SecretContent.MANAGED_LABEL);
    boolean owned = ownedBy(existing, sync);
    if (labelled && owned) {
      return Optional.empty();
    }
    return Optional.of("Secret " + meta.getNamespace() + "/" + meta.getName() + " already exists and is not managed"
        + " by this SecretSync (" + (labelled ? "" : "no label " + SecretContent.MANAGED_LABEL + (owned ? "" : ", "))
        + (owned ? "" : "no ownerReference to it") + "); it is left alone");
  }

  public static boolean ownedBy(Secret secret, SecretSync sync) {
    List<OwnerReference> owners = secret.getMetadata().getOwnerReferences();
    return owners != null && owners.stream().anyMatch(o -> SecretSync.KIND.equals(o.getKind())
        && sync.getMetadata().getUid() != null && sync.getMetadata().getUid().equals(o.getUid()));
  }

  /**
   * Whether {@code observed} (as the API server has it; null when deleted) no longer holds what the
   * controller last applied: a key of ours missing or with another value, another type, a label or
   * annotation of ours gone or changed, or the ownerReference gone. Fields others added are theirs
   * (server-side apply leaves them too), so they are no drift.
   */
  public static boolean drifted(Secret observed, Secret applied) {
    if (observed == null) {
      return true;
    }
    if (!applied.getType().equals(observed.getType() == null ? "Opaque" : observed.getType())) {
      return true;
    }
    Map<String, String> have = observed.getData() == null ? Map.of() : observed.getData();
    for (Map.Entry<String, String> e : applied.getData().entrySet()) {
      String value = have.get(e.getKey());
      if (value == null || !Arrays.equals(decode(value), decode(e.getValue()))) {
        return true;
      }
    }
    if (!contains(observed.getMetadata().getLabels(), applied.getMetadata().getLabels())
        || !contains(observed.getMetadata().getAnnotations(), applied.getMetadata().getAnnotations())) {
      return true;
    }
    List<OwnerReference> owners = observed.getMetadata().getOwnerReferences();
    String uid = applied.getMetadata().getOwnerReferences().get(0).getUid();
    return owners == null || owners.stream().noneMatch(o -> uid.equals(o.getUid()));
  }

  private static boolean contains(Map<String, String> have, Map<String, String> want) {
    if (want == null || want.isEmpty()) {
      return true;
    }
    Map<String, String> h = have == null ? Map.of() : have;
    return want.entrySet().stream().allMatch(e -> e.getValue().equals(h.get(e.getKey())));
  }

  private static byte[] decode(String base64) {
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }
}
