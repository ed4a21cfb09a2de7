package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
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
import io.sscsi.status.PodStatus;
import io.sscsi.status.PodStatusStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes SecretProviderClassPodStatus objects as upstream's NodePublishVolume does, with one request
 * where one is enough. It remembers the server's copy of every status object it created, updated or
 * listed (the write's own answer: uid and resourceVersion included), so a refresh that changed
 * versions is one update locked to the resourceVersion it knows, and Secret sync learns the owner
 * uid without a read ({@link #uid}). A status object it does not know is created; on AlreadyExists
 * (the pod mounted before this driver started, or a StatefulSet pod moved here from another node) it
 * is read, its node label set, owner references and status replaced, and updated. A 409 Conflict
 * (someone else changed it) means read and update again, a few times; a 404 on update (it was
 * deleted) means create. The single owner reference to the pod lets Kubernetes garbage-collect the
 * object with the pod. What it remembers is dropped on delete. Thread-safe; blocking: call on the
 * blocking dispatcher.
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
  /** namespace/name -> the server's copy as last written or read here; never mutated once stored. */
  private final Map<String, SecretProviderClassPodStatus> known = new ConcurrentHashMap<>();

  public KubePodStatusStore(KubeConnection connection) {
    this(connection.client());
  }

  KubePodStatusStore(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public void upsert(PodStatus status) {
    write(status, false);
  }

  @Override
  public RefreshWrite upsertForRefresh(PodStatus status) {
    return write(status, true);
  }

  /** A refresh creates no object for a pod that is gone: the pod is read just before a create, only then. */
  private boolean mayCreate(PodStatus status, boolean refresh) {
    return !refresh || podExists(status.podNamespace(), status.podName(), status.podUid());
  }

  private RefreshWrite write(PodStatus status, boolean refresh) {
    String ns = status.podNamespace();
    String name = status.objectName();
    String key = ns + "/" + name;
    String what = "SecretProviderClassPodStatus " + key;
    var ops = statuses(ns);

    SecretProviderClassPodStatus existing = known.get(key);
    if (existing == null) {
      Optional<RefreshWrite> done = create(status, refresh, ops, key, what);
      if (done.isPresent()) {
        return done.get();
      }
      log.debug("{} already exists, updating it", what);
      existing = read(ops, name, what);
    }
    RuntimeException conflict = null;
    for (int attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      if (existing == null) {
        // Deleted meanwhile: create it again, unless a refresh finds its pod gone.
        Optional<RefreshWrite> done = create(status, refresh, ops, key, what);
        if (done.isPresent()) {
          return done.get();
        }
        existing = read(ops, name, what);
        continue;
      }
      SecretProviderClassPodStatus changed = withStatus(existing, status);
      try {
        remember(key, ops.resource(changed).update());
        return RefreshWrite.WRITTEN;
      } catch (RuntimeException e) {
        int code = KubeErrors.code(e);
        if (code == KubeErrors.NOT_FOUND) {
          known.remove(key);
          existing = null;
          continue;
        }
        if (code != KubeErrors.CONFLICT) {
          throw KubeErrors.translate(e, "update " + what, RBAC_WRITE_HINT);
        }
        conflict = e;
        log.debug("{} changed since this driver last saw it (conflict), reading it again", what);
        existing = read(ops, name, what);
      }
    }
    throw new DriverException(
        FailureKind.API_UNAVAILABLE,
        "could not update " + what + ": it kept changing concurrently ("
            + (CONFLICT_RETRIES + 1) + " attempts)",
        conflict);
  }

  /**
   * Creates the object, unless a refresh finds its pod gone: WRITTEN (remembered) or POD_GONE; empty
   * when it already exists (the caller reads and updates it).
   */
  private Optional<RefreshWrite> create(PodStatus status, boolean refresh,
      NonNamespaceOperation<SecretProviderClassPodStatus, ?, Resource<SecretProviderClassPodStatus>> ops,
      String key, String what) {
    if (!mayCreate(status, refresh)) {
      return Optional.of(RefreshWrite.POD_GONE);
    }
    SecretProviderClassPodStatus created = tryCreate(ops, desired(status), what);
    if (created == null) {
      return Optional.empty();
    }
    remember(key, created);
    return Optional.of(RefreshWrite.WRITTEN);
  }

  @Override
  public void delete(String podNamespace, String objectName) {
    try {
      statuses(podNamespace).withName(objectName).delete();
      known.remove(podNamespace + "/" + objectName);
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) != KubeErrors.NOT_FOUND) {
        throw KubeErrors.translate(
            e,
            "delete SecretProviderClassPodStatus " + podNamespace + "/" + objectName,
            RBAC_DELETE_HINT);
      }
      known.remove(podNamespace + "/" + objectName);
    }
  }

  /**
   * The uid of status object {@code namespace/name}: the one this store wrote or saw, else read from
   * the API server (and remembered); empty when it does not exist.
   *
   * @throws DriverException API_UNAVAILABLE or API_FORBIDDEN
   */
  public Optional<String> uid(String namespace, String name) {
    SecretProviderClassPodStatus mine = known.get(namespace + "/" + name);
    if (mine != null) {
      return Optional.ofNullable(mine.getMetadata().getUid());
    }
    String what = "SecretProviderClassPodStatus " + namespace + "/" + name;
    return Optional.ofNullable(read(statuses(namespace), name, what)).map(s -> s.getMetadata().getUid());
  }

  /** A pod as its status object names it: {@code status.podName} and the uid of its Pod owner reference. */
  public record OwningPod(String name, String uid) {}

  /**
   * The pod status object {@code namespace/name} belongs to, as this store last wrote or read it
   * (no request); empty when the store does not know the object or it names no pod.
   */
  public Optional<OwningPod> pod(String namespace, String name) {
    SecretProviderClassPodStatus mine = known.get(namespace + "/" + name);
    if (mine == null || mine.getStatus() == null || mine.getStatus().podName() == null
        || mine.getMetadata().getOwnerReferences() == null) {
      return Optional.empty();
    }
    return mine.getMetadata().getOwnerReferences().stream()
        .filter(o -> "Pod".equals(o.getKind()) && o.getUid() != null)
        .findFirst()
        .map(o -> new OwningPod(mine.getStatus().podName(), o.getUid()));
  }

  /** Reads the object (and remembers it); null when it does not exist. */
  private SecretProviderClassPodStatus read(
      NonNamespaceOperation<SecretProviderClassPodStatus, ?, Resource<SecretProviderClassPodStatus>> ops,
      String name, String what) {
    SecretProviderClassPodStatus got;
    try {
      got = ops.withName(name).get();
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == KubeErrors.NOT_FOUND) {
        return null;
      }
      throw KubeErrors.translate(e, "get " + what, RBAC_WRITE_HINT);
    }
    if (got != null) {
      remember(got.getMetadata().getNamespace() + "/" + name, got);
    }
    return got;
  }

  private void remember(String key, SecretProviderClassPodStatus serverCopy) {
    if (serverCopy != null && serverCopy.getMetadata() != null) {
      known.put(key, serverCopy);
    }
  }

  /** Creates the object and returns the server's copy; null when it already exists (409). */
  private static SecretProviderClassPodStatus tryCreate(
      NonNamespaceOperation<SecretProviderClassPodStatus, ?, Resource<SecretProviderClassPodStatus>> ops,
      SecretProviderClassPodStatus desired,
      String what) {
    try {
      return ops.resource(desired).create();
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == KubeErrors.CONFLICT) {
        return null;
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

  /** A copy of the server's object with the node label, owner and status of {@code status}. */
  static SecretProviderClassPodStatus withStatus(SecretProviderClassPodStatus server, PodStatus status) {
    SecretProviderClassPodStatus copy = new SecretProviderClassPodStatus();
    copy.setMetadata(new ObjectMetaBuilder(server.getMetadata()).build());
    applyTo(copy, status);
    return copy;
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
      remember(item.getMetadata().getNamespace() + "/" + item.getMetadata().getName(), item);
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
