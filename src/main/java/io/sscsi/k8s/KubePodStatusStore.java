package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import io.sscsi.k8s.model.SecretProviderClassPodStatusStatus;
import io.sscsi.k8s.model.SecretProviderClassPodStatusStatus.ObjectVersion;
import io.sscsi.spc.PodStatus;
import io.sscsi.spc.PodStatusStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes SecretProviderClassPodStatus objects as upstream's NodePublishVolume does: create, and on
 * AlreadyExists (the pod mounted before, or a StatefulSet pod moved here from another node) get
 * the object from the API server, set the node label, replace owner references and status, and
 * update with optimistic locking, retrying a few times on a 409 Conflict. The single owner
 * reference to the pod lets Kubernetes garbage-collect the object with the pod. Blocking: call on
 * the blocking dispatcher.
 */
public final class KubePodStatusStore implements PodStatusStore {

  private static final Logger log = LoggerFactory.getLogger(KubePodStatusStore.class);

  /** How many times an update that hit a 409 Conflict is retried (after a fresh get). */
  static final int CONFLICT_RETRIES = 3;

  private static final String RBAC_WRITE_HINT =
      "\"create\", \"get\" and \"update\" on"
          + " secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io";
  private static final String RBAC_DELETE_HINT =
      "\"delete\" on secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io";

  private final KubernetesClient client;

  public KubePodStatusStore(KubeConnection connection) {
    this(connection.client());
  }

  KubePodStatusStore(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public void upsert(PodStatus status) {
    String ns = status.podNamespace();
    String name = status.objectName();
    String what = "SecretProviderClassPodStatus " + ns + "/" + name;
    var ops = statuses(ns);

    if (tryCreate(ops, desired(status), what)) {
      return;
    }
    log.debug("{} already exists, updating it", what);
    RuntimeException conflict = null;
    for (int attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      SecretProviderClassPodStatus existing;
      try {
        existing = ops.withName(name).get();
      } catch (RuntimeException e) {
        throw KubeErrors.translate(e, "get " + what, RBAC_WRITE_HINT);
      }
      if (existing == null) {
        // Deleted since the create failed: create it again.
        if (tryCreate(ops, desired(status), what)) {
          return;
        }
        continue;
      }
      applyTo(existing, status);
      try {
        ops.resource(existing).update();
        return;
      } catch (RuntimeException e) {
        if (KubeErrors.code(e) != KubeErrors.CONFLICT) {
          throw KubeErrors.translate(e, "update " + what, RBAC_WRITE_HINT);
        }
        conflict = e;
        log.debug("{} changed while updating it (conflict), retrying", what);
      }
    }
    throw new DriverException(
        FailureKind.API_UNAVAILABLE,
        "could not update " + what + ": it kept changing concurrently ("
            + (CONFLICT_RETRIES + 1) + " attempts)",
        conflict);
  }

  @Override
  public void delete(String podNamespace, String objectName) {
    try {
      statuses(podNamespace).withName(objectName).delete();
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) != KubeErrors.NOT_FOUND) {
        throw KubeErrors.translate(
            e,
            "delete SecretProviderClassPodStatus " + podNamespace + "/" + objectName,
            RBAC_DELETE_HINT);
      }
    }
  }

  /** Creates the object; false when it already exists (409), a DriverException on other failures. */
  private static boolean tryCreate(
      NonNamespaceOperation<SecretProviderClassPodStatus, ?, Resource<SecretProviderClassPodStatus>> ops,
      SecretProviderClassPodStatus desired,
      String what) {
    try {
      ops.resource(desired).create();
      return true;
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == KubeErrors.CONFLICT) {
        return false;
      }
      throw KubeErrors.translate(e, "create " + what, RBAC_WRITE_HINT);
    }
  }

  private NonNamespaceOperation<
          SecretProviderClassPodStatus,
          KubernetesResourceList<SecretProviderClassPodStatus>,
          Resource<SecretProviderClassPodStatus>>
      statuses(String namespace) {
    MixedOperation<
            SecretProviderClassPodStatus,
            KubernetesResourceList<SecretProviderClassPodStatus>,
            Resource<SecretProviderClassPodStatus>>
        all = client.resources(SecretProviderClassPodStatus.class);
    return all.inNamespace(namespace);
  }

  /** The object a first create writes. */
  static SecretProviderClassPodStatus desired(PodStatus status) {
    SecretProviderClassPodStatus spcps = new SecretProviderClassPodStatus();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(status.objectName());
    meta.setNamespace(status.podNamespace());
    spcps.setMetadata(meta);
    applyTo(spcps, status);
    return spcps;
  }

  /** Sets the node label (keeping other labels), the owner reference and the status. */
  static void applyTo(SecretProviderClassPodStatus spcps, PodStatus status) {
    ObjectMeta meta = spcps.getMetadata();
    Map<String, String> labels =
        meta.getLabels() == null ? new HashMap<>() : new HashMap<>(meta.getLabels());
    labels.put(SecretProviderClassPodStatus.NODE_LABEL, status.nodeId());
    meta.setLabels(labels);
    meta.setOwnerReferences(List.of(ownerReference(status)));
    spcps.setStatus(statusOf(status));
  }

  private static OwnerReference ownerReference(PodStatus status) {
    // No controller and no blockOwnerDeletion, as upstream: left null so they are not serialized.
    return new OwnerReferenceBuilder()
        .withApiVersion("v1")
        .withKind("Pod")
        .withName(status.podName())
        .withUid(status.podUid())
        .build();
  }

  private static SecretProviderClassPodStatusStatus statusOf(PodStatus status) {
    List<ObjectVersion> objects =
        status.sortedVersions().entrySet().stream()
            .map(e -> new ObjectVersion(e.getKey(), e.getValue()))
            .toList();
    return new SecretProviderClassPodStatusStatus(
        status.podName(), status.className(), Boolean.TRUE, status.targetPath(), objects);
  }

  @Override
  public java.util.List<PodStatus> listForNode(String nodeId) {
    java.util.List<SecretProviderClassPodStatus> items;
    try {
      items = client.resources(SecretProviderClassPodStatus.class).inAnyNamespace()
          .withLabel(SecretProviderClassPodStatus.NODE_LABEL, nodeId).list().getItems();
    } catch (RuntimeException e) {
      throw KubeErrors.translate(e, "list SecretProviderClassPodStatuses of node " + nodeId,
          "\"list\" on secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io");
    }
    java.util.List<PodStatus> out = new java.util.ArrayList<>();
    for (SecretProviderClassPodStatus item : items) {
      var st = item.getStatus();
      String podUid = item.getMetadata().getOwnerReferences() == null ? "" : item.getMetadata().getOwnerReferences()
          .stream().filter(o -> "Pod".equals(o.getKind())).map(o -> o.getUid()).findFirst().orElse("");
      if (st == null || st.targetPath() == null || st.podName() == null || podUid.isEmpty()) {
        continue;
      }
      java.util.Map<String, String> versions = new java.util.HashMap<>();
      if (st.objects() != null) {
        st.objects().forEach(o -> versions.put(o.id(), o.version()));
      }
      out.add(new PodStatus(st.podName(), item.getMetadata().getNamespace(), podUid,
          st.secretProviderClassName(), nodeId, st.targetPath(), versions));
    }
    return out;
  }

  @Override
  public boolean podExists(String namespace, String name, String uid) {
    try {
      var pod = client.pods().inNamespace(namespace).withName(name).get();
      return pod != null && uid.equals(pod.getMetadata().getUid());
    } catch (RuntimeException e) {
      return true; // cannot tell: keep the mount; kubelet's unpublish removes it if the pod is gone
    }
  }
}
