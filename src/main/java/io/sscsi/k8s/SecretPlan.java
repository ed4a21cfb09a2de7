package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Pure: the one API write (or none) that turns the Secret on the server into what a
 * {@link SecretWrite} asks for. Absent: create it, only with content and at least one owner.
 * Present: a JSON Patch, locked to the resourceVersion read, that sets exactly what differs:
 * the data (keys we do not want are removed: data is ours alone), our labels and annotations (keys
 * the class does not set are left alone, so labels and annotations others add survive), and the
 * owner list. Nothing differs: no write at all (#2057). A Secret without the managed label is never
 * touched; a type change (the field is immutable) is refused.
 *
 * <p>The owner list depends on the {@link SecretOwnerPolicy}. {@link SecretOwnerPolicy#WORKLOAD}
 * (upstream's): the server's list plus each wanted owner whose name it does not list yet, as
 * upstream v1.6.0's {@code patchSecretWithOwnerRef} (controllers/secretproviderclasspodstatus_controller.go)
 * dedupes by owner name; a reference of the same kind and name but another uid (an earlier object of
 * that name, deleted since) is replaced rather than kept, so the garbage collector does not take the
 * Secret for an orphan. Nothing is ever taken off and the Secret is never deleted.
 * {@link SecretOwnerPolicy#POD_STATUS}: the server's list minus the owners that are gone (and minus
 * stale references to an earlier object of the same SecretProviderClassPodStatus name) plus the
 * wanted ones; owners of other nodes and of other kinds are kept, so adding one pod never drops
 * another's (#2051); when the last owner goes and no mounting pod is left waiting for its owner, the
 * Secret is deleted.
 *
 * <p>JSON Patch rather than a merge patch because it replaces the owner list the same way on the
 * API server and on the fabric8 mock server (whose merge patch appends to lists), and says exactly
 * which data keys go.
 */
final class SecretPlan {

  sealed interface Step {}

  /** No write. */
  record Nothing(KubeSecretWriter.Outcome outcome) implements Step {}

  record Create(Secret secret) implements Step {}

  /** A JSON Patch (RFC 6902); {@code changed} names the parts it sets, for the log. */
  record Patch(ArrayNode patch, List<String> changed) implements Step {}

  record Delete(String resourceVersion) implements Step {}

  /** Cannot be done as asked; the reason names no content. */
  record Refuse(String reason) implements Step {}

  /** The Secret is being deleted: try again later. */
  record Wait(String reason) implements Step {}

  private static final Comparator<SecretOwner> BY_NAME = Comparator.comparing(SecretOwner::name)
      .thenComparing(SecretOwner::kind).thenComparing(SecretOwner::uid, Comparator.nullsFirst(Comparator.naturalOrder()));

  private SecretPlan() {}

  static Step plan(Secret existing, SecretWrite want, SecretOwnerPolicy policy) {
    if (existing == null) {
      if (want.desired().isEmpty() || want.owners().isEmpty()) {
        return new Nothing(KubeSecretWriter.Outcome.ABSENT);
      }
      return new Create(toSecret(want.desired().get(), want.owners()));
    }
    ObjectMeta meta = existing.getMetadata() == null ? new ObjectMeta() : existing.getMetadata();
    if (!"true".equals(orEmpty(meta.getLabels()).get(SecretProjection.MANAGED_LABEL))) {
      if (want.desired().isPresent()) {
        return new Refuse("Secret " + want.what() + " exists but is not managed by the driver (it lacks the label "
            + SecretProjection.MANAGED_LABEL + "=true); it is left alone: delete it or add the label");
      }
      return new Nothing(KubeSecretWriter.Outcome.NOT_MANAGED);
    }
    if (meta.getDeletionTimestamp() != null) {
      return new Wait("Secret " + want.what() + " is being deleted");
    }
    List<OwnerReference> before = meta.getOwnerReferences() == null ? List.of() : meta.getOwnerReferences();
    List<OwnerReference> after = policy == SecretOwnerPolicy.WORKLOAD ? added(before, want) : owners(before, want);
    if (policy == SecretOwnerPolicy.POD_STATUS && after.isEmpty() && want.desired().isEmpty()
        && !want.gone().isEmpty() && !want.keepLastOwner()) {
      return new Delete(meta.getResourceVersion());
    }

    ArrayNode ops = JsonNodeFactory.instance.arrayNode();
    List<String> changed = new ArrayList<>();
    if (want.desired().isPresent()) {
      DesiredSecret desired = want.desired().get();
      String type = existing.getType() == null || existing.getType().isBlank()
          ? SecretProjection.OPAQUE : existing.getType();
      if (!type.equals(desired.type())) {
        return new Refuse("Secret " + want.what() + " has type " + type + " but the SecretProviderClass asks for "
            + desired.type() + "; a Secret's type cannot change: delete the Secret to have it recreated");
      }
      if (dataOps(ops, existing.getData(), desired.rawData())) {
        changed.add("data");
      }
      if (mapOps(ops, "/metadata/labels", meta.getLabels(), desired.labels())) {
        changed.add("labels");
      }
      if (mapOps(ops, "/metadata/annotations", meta.getAnnotations(), desired.annotations())) {
        changed.add("annotations");
      }
    }
    if (!after.equals(before)) {
      ArrayNode refs = JsonNodeFactory.instance.arrayNode();
      after.forEach(r -> refs.add(toJson(r)));
      ops.add(op("add", "/metadata/ownerReferences").set("value", refs));
      changed.add("ownerReferences");
    }
    if (changed.isEmpty()) {
      return new Nothing(KubeSecretWriter.Outcome.UNCHANGED);
    }
    // Setting the resourceVersion read makes the API server refuse the patch with 409 Conflict
    // if the Secret changed since: the owner list is replaced whole, so it must not be stale.
    ops.insert(0, op("replace", "/metadata/resourceVersion").put("value", meta.getResourceVersion()));
    return new Patch(ops, changed);
  }

  /** The owner list to have: the server's minus gone and stale ones, plus the wanted ones. */
  static List<OwnerReference> owners(List<OwnerReference> before, SecretWrite want) {
    Map<String, String> wantedUidByName = new LinkedHashMap<>();
    want.owners().forEach(o -> wantedUidByName.put(o.name(), o.uid()));
    List<OwnerReference> after = new ArrayList<>();
    for (OwnerReference ref : before) {
      if (isPodStatus(ref)) {
        boolean gone = want.gone().stream().anyMatch(g -> g.uid() != null
            ? g.uid().equals(ref.getUid()) : g.name().equals(ref.getName()));
        String wantedUid = wantedUidByName.get(ref.getName());
        boolean stale = wantedUid != null && !wantedUid.equals(ref.getUid());
        if (gone || stale) {
          continue;
        }
      }
      after.add(ref);
    }
    want.owners().stream()
        .filter(o -> o.uid() != null)
        .sorted(BY_NAME)
        .filter(o -> after.stream().noneMatch(r -> o.uid().equals(r.getUid())))
        .forEach(o -> after.add(ownerReference(o)));
    if (after.isEmpty() && want.keepLastOwner()) {
      return before;
    }
    return after;
  }

  /**
   * {@link SecretOwnerPolicy#WORKLOAD}'s owner list: the server's plus the wanted owners whose name
   * it does not list (a same-kind, same-name reference with another uid is replaced); none removed.
   */
  static List<OwnerReference> added(List<OwnerReference> before, SecretWrite want) {
    List<OwnerReference> after = new ArrayList<>(before);
    want.owners().stream().filter(o -> o.uid() != null).sorted(BY_NAME).forEach(o -> {
      int stale = -1;
      for (int i = 0; i < after.size(); i++) {
        OwnerReference ref = after.get(i);
        if (!o.name().equals(ref.getName())) {
          continue;
        }
        if (!o.kind().equals(ref.getKind()) || o.uid().equals(ref.getUid())) {
          return; // listed by name already: upstream adds nothing
        }
        stale = i;
      }
      if (stale >= 0) {
        after.set(stale, ownerReference(o));
      } else {
        after.add(ownerReference(o));
      }
    });
    return after;
  }

  static boolean isPodStatus(OwnerReference ref) {
    return SecretOwner.KIND.equals(ref.getKind()) && ref.getApiVersion() != null
        && ref.getApiVersion().startsWith("secrets-store.csi.x-k8s.io/");
  }

  static OwnerReference ownerReference(SecretOwner owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.apiVersion())
        .withKind(owner.kind())
        .withName(owner.name())
        .withUid(owner.uid())
        .build();
  }

  static Secret toSecret(DesiredSecret desired, Set<SecretOwner> owners) {
    Map<String, String> data = new LinkedHashMap<>();
    desired.rawData().forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v)));
    return new SecretBuilder()
        .withNewMetadata()
        .withNamespace(desired.namespace())
        .withName(desired.name())
        .withLabels(new LinkedHashMap<>(desired.labels()))
        .withAnnotations(desired.annotations().isEmpty() ? null : new LinkedHashMap<>(desired.annotations()))
        .withOwnerReferences(owners.stream()
            .filter(o -> o.uid() != null)
            .sorted(BY_NAME)
            .map(SecretPlan::ownerReference)
            .toList())
        .endMetadata()
        .withType(desired.type())
        .withData(data)
        .build();
  }

  /** JSON Patch ops that make the data exactly {@code desired}; false when it already is. */
  private static boolean dataOps(ArrayNode ops, Map<String, String> current, Map<String, byte[]> desired) {
    if (current == null || current.isEmpty()) {
      if (desired.isEmpty()) {
        return false;
      }
      ObjectNode all = JsonNodeFactory.instance.objectNode();
      desired.forEach((k, v) -> all.put(k, Base64.getEncoder().encodeToString(v)));
      ops.add(op("add", "/data").set("value", all));
      return true;
    }
    int before = ops.size();
    desired.forEach((k, v) -> {
      if (!Arrays.equals(decode(current.get(k)), v)) {
        ops.add(op("add", "/data/" + pointer(k)).put("value", Base64.getEncoder().encodeToString(v)));
      }
    });
    current.keySet().stream().filter(k -> !desired.containsKey(k)).sorted()
        .forEach(k -> ops.add(op("remove", "/data/" + pointer(k))));
    return ops.size() > before;
  }

  /** JSON Patch ops that set our keys of a label or annotation map, leaving other keys alone. */
  private static boolean mapOps(ArrayNode ops, String path, Map<String, String> current, Map<String, String> desired) {
    Map<String, String> have = orEmpty(current);
    Map<String, String> differ = new java.util.TreeMap<>();
    desired.forEach((k, v) -> {
      if (!v.equals(have.get(k))) {
        differ.put(k, v);
      }
    });
    if (differ.isEmpty()) {
      return false;
    }
    if (current == null) {
      ObjectNode all = JsonNodeFactory.instance.objectNode();
      differ.forEach(all::put);
      ops.add(op("add", path).set("value", all));
    } else {
      differ.forEach((k, v) -> ops.add(op("add", path + "/" + pointer(k)).put("value", v)));
    }
    return true;
  }

  private static ObjectNode op(String op, String path) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("op", op);
    o.put("path", path);
    return o;
  }

  /** A map key as a JSON Pointer segment (RFC 6901). */
  static String pointer(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  private static ObjectNode toJson(OwnerReference ref) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("apiVersion", ref.getApiVersion());
    o.put("kind", ref.getKind());
    o.put("name", ref.getName());
    o.put("uid", ref.getUid());
    if (ref.getController() != null) {
      o.put("controller", ref.getController());
    }
    if (ref.getBlockOwnerDeletion() != null) {
      o.put("blockOwnerDeletion", ref.getBlockOwnerDeletion());
    }
    return o;
  }

  private static byte[] decode(String base64) {
    if (base64 == null) {
      return null;
    }
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Map<String, String> orEmpty(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }
}
