package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link SecretWrite} to the API server with one request when nothing races it. The write
 * is planned by {@link SecretPlan} (create, JSON Patch locked to the resourceVersion, delete locked
 * likewise, or nothing) against the Secret as this driver last knew it ({@link KnownSecret}: the
 * answer to its previous write), so no read comes first. Without that knowledge (the first write
 * after a start) a Secret that would be created is created at once, and anything else is read
 * first. Only a conflict reads: a 409 (the Secret changed since, or a create found it existing)
 * means GET and plan again, a few times; a 404 on patch means it is gone and is planned as absent.
 * The answer to the write is what the driver knows next. Data go as base64 {@code data}, never
 * {@code stringData}. Sync names the owners it wants as the mounting pods' SecretProviderClassPodStatus
 * objects (uids from {@link KubePodStatusStore#uid}). Under {@link SecretOwnerPolicy#WORKLOAD}
 * (upstream's default) each is replaced by its pod's own owner references, read once per pod (GET
 * pod, the pod named by the status object the store knows) and remembered until that pod's owner is
 * reported gone; a pod without owners leaves its status object as owner, as upstream's
 * {@code Patcher} (controllers/secretproviderclasspodstatus_controller.go) does, and a pod that is
 * gone adds none. Gone owners are then not taken off and nothing is deleted. Failures are {@link DriverException}s: API_FORBIDDEN (hint: the
 * Secret RBAC Helm installs with {@code syncSecret.enabled=true}) and API_UNAVAILABLE are worth
 * retrying; SPC_INVALID (a 400/422 answer, a type change, a Secret not managed by the driver) is
 * not. Blocking: call on the blocking dispatcher.
 */
public final class KubeSecretWriter {

  private static final Logger log = LoggerFactory.getLogger(KubeSecretWriter.class);

  /** How many times a write that hit a 409 Conflict (or a patch that hit a 404) is planned again. */
  static final int CONFLICT_RETRIES = 3;

  static final String RBAC_SECRETS_HINT =
      "\"get\", \"create\", \"patch\" and \"delete\" on secrets (Helm: syncSecret.enabled=true)";
  private static final int BAD_REQUEST = 400;
  private static final int UNPROCESSABLE = 422;

  /** What {@link #sync} did. */
  public enum Outcome {
    /** The Secret did not exist and was created. */
    CREATED,
    /** The Secret was patched. */
    PATCHED,
    /** The Secret was already as wanted: nothing was written. */
    UNCHANGED,
    /** The last owner went: the Secret was deleted (or was gone already). */
    DELETED,
    /** The Secret does not exist and there is nothing to create it from (no content or no owner). */
    ABSENT,
    /** The Secret exists without the managed label and only owners were to change: left alone. */
    NOT_MANAGED;

    /** Whether an API write was made. */
    public boolean wrote() {
      return this == CREATED || this == PATCHED || this == DELETED;
    }
  }

  /**
   * What a sync did and what the driver knows of the Secret afterwards.
   *
   * @param known the server's copy after the write (or as read); empty when the Secret is gone or
   *     was not seen
   */
  public record Synced(Outcome outcome, Optional<KnownSecret> known) {
    public Synced {
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(known, "known");
    }
  }

  private static final String RBAC_PODS_HINT = "\"get\" on pods";

  /** A pod's owners as {@link SecretOwnerPolicy#WORKLOAD} wants them, for the status object of that uid. */
  private record WorkloadOwners(String statusUid, List<SecretOwner> owners) {}

  private final KubernetesClient client;
  private final KubePodStatusStore statuses;
  private final SecretOwnerPolicy policy;
  /** namespace/status object name -> its pod's owners; dropped when that owner is reported gone. */
  private final Map<String, WorkloadOwners> workloadOwners = new ConcurrentHashMap<>();

  /**
   * A writer that learns owner uids from {@code statuses} (the store the volumes write through) and
   * sets owners as {@code policy} says.
   */
  public KubeSecretWriter(KubeConnection connection, KubePodStatusStore statuses, SecretOwnerPolicy policy) {
    this.client = Objects.requireNonNull(connection, "connection").client();
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /** A writer with upstream's owners ({@link SecretOwnerPolicy#WORKLOAD}). */
  public KubeSecretWriter(KubeConnection connection, KubePodStatusStore statuses) {
    this(connection, statuses, SecretOwnerPolicy.WORKLOAD);
  }

  /**
   * A writer with a store of its own (owner uids are read from the API server when first needed)
   * that sets owners as {@code policy} says.
   */
  public KubeSecretWriter(KubeConnection connection, SecretOwnerPolicy policy) {
    this(connection, new KubePodStatusStore(connection), policy);
  }

  /** A writer with a store of its own and upstream's owners ({@link SecretOwnerPolicy#WORKLOAD}). */
  public KubeSecretWriter(KubeConnection connection) {
    this(connection, SecretOwnerPolicy.WORKLOAD);
  }

  /**
   * The uid of SecretProviderClassPodStatus {@code namespace/name}; empty when it does not exist.
   * Known without a request when this driver wrote it.
   *
   * @throws DriverException API_UNAVAILABLE or API_FORBIDDEN
   */
  public Optional<String> podStatusUid(String namespace, String name) {
    return statuses.uid(namespace, name);
  }

  /** {@link #sync(SecretWrite, Optional)} with nothing known of the Secret. */
  public Outcome sync(SecretWrite want) {
    return sync(want, Optional.empty()).outcome();
  }

  /**
   * Makes the Secret what {@code want} asks for, with at most one request when {@code known} is
   * current (or the Secret is new) and nothing races us.
   *
   * @param known the Secret as the last sync left it, if this driver has synced it since it started
   * @throws DriverException API_UNAVAILABLE or API_FORBIDDEN (retry later), SPC_INVALID (do not)
   */
  public Synced sync(SecretWrite asked, Optional<KnownSecret> known) {
    String what = "Secret " + asked.what();
    SecretWrite want = asked;
    if (policy == SecretOwnerPolicy.WORKLOAD) {
      want = withWorkloadOwners(asked);
      if (want.desired().isEmpty() && want.owners().isEmpty()) {
        return new Synced(Outcome.UNCHANGED, known); // owners are never taken off: nothing to write
      }
    }
    Secret current;
    if (known.isPresent()) {
      current = known.get().secret();
    } else if (SecretPlan.plan(null, want, policy) instanceof SecretPlan.Create) {
      current = null; // a new Secret is created at once; AlreadyExists (409) reads it
    } else {
      current = get(want);
    }
    for (int attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      SecretPlan.Step step = SecretPlan.plan(current, want, policy);
      try {
        return write(step, want, current);
      } catch (DriverException e) {
        throw e;
      } catch (RuntimeException e) {
        int code = KubeErrors.code(e);
        if (code == KubeErrors.CONFLICT) {
          log.debug("{} differs from what this driver knew (HTTP 409), reading it", what);
          current = get(want);
        } else if (code == KubeErrors.NOT_FOUND && step instanceof SecretPlan.Patch) {
          log.debug("{} is gone (HTTP 404 on patch)", what);
          current = null;
        } else {
          throw translate(e, verb(step) + " " + what);
        }
      }
    }
    throw new DriverException(FailureKind.API_UNAVAILABLE,
        "could not write " + what + ": it kept changing concurrently (" + (CONFLICT_RETRIES + 1) + " attempts)");
  }

  /**
   * {@code want} with each pod status owner replaced by its pod's owners, and nothing gone (upstream
   * never takes an owner off); the owners of gone pods are forgotten.
   */
  private SecretWrite withWorkloadOwners(SecretWrite want) {
    want.gone().forEach(g -> workloadOwners.remove(want.namespace() + "/" + g.name()));
    Set<SecretOwner> owners = new HashSet<>();
    for (SecretOwner o : want.owners()) {
      if (o.uid() == null) {
        continue;
      }
      owners.addAll(o.isPodStatus() ? podOwners(want.namespace(), o) : List.of(o));
    }
    return new SecretWrite(want.namespace(), want.name(), want.desired(), owners, Set.of(), false);
  }

  /** The owners the pod of status object {@code status} gives a Secret; empty when that pod is gone. */
  private List<SecretOwner> podOwners(String namespace, SecretOwner status) {
    String key = namespace + "/" + status.name();
    WorkloadOwners cached = workloadOwners.get(key);
    if (cached != null && cached.statusUid().equals(status.uid())) {
      return cached.owners();
    }
    Optional<KubePodStatusStore.OwningPod> owning = statuses.pod(namespace, status.name());
    List<SecretOwner> owners;
    if (owning.isEmpty()) {
      owners = List.of(status); // the status object names no pod: it owns the Secret itself
    } else {
      Pod pod = getPod(namespace, owning.get().name());
      if (pod == null || pod.getMetadata() == null || !owning.get().uid().equals(pod.getMetadata().getUid())) {
        log.debug("Pod {}/{} is gone: it adds no owner to Secrets", namespace, owning.get().name());
        return List.of();
      }
      var refs = pod.getMetadata().getOwnerReferences();
      owners = refs == null || refs.isEmpty() ? List.of(status) : refs.stream()
          .filter(r -> r.getApiVersion() != null && r.getKind() != null && r.getName() != null && r.getUid() != null)
          .map(r -> new SecretOwner(r.getApiVersion(), r.getKind(), r.getName(), r.getUid()))
          .toList();
    }
    workloadOwners.put(key, new WorkloadOwners(status.uid(), owners));
    return owners;
  }

  private Pod getPod(String namespace, String name) {
    try {
      return client.pods().inNamespace(namespace).withName(name).get();
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == KubeErrors.NOT_FOUND) {
        return null;
      }
      throw KubeErrors.translate(e, "get Pod " + namespace + "/" + name, RBAC_PODS_HINT);
    }
  }

  private Secret get(SecretWrite want) {
    try {
      return secrets(want).withName(want.name()).get();
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == KubeErrors.NOT_FOUND) {
        return null;
      }
      throw translate(e, "get Secret " + want.what());
    }
  }

  private NonNamespaceOperation<Secret, SecretList, Resource<Secret>> secrets(SecretWrite want) {
    return client.secrets().inNamespace(want.namespace());
  }

  private static DriverException translate(RuntimeException e, String operation) {
    int code = KubeErrors.code(e);
    if (code == BAD_REQUEST || code == UNPROCESSABLE) {
      return new DriverException(FailureKind.SPC_INVALID,
          "Kubernetes API rejected the request to " + operation + ": HTTP " + code
              + " (the Secret built from the SecretProviderClass is not valid)", e);
    }
    return KubeErrors.translate(e, operation, RBAC_SECRETS_HINT);
  }

  /**
   * Does the planned write, answering with the server's copy afterwards; API failures are thrown as
   * they come for the caller to classify.
   */
  private Synced write(SecretPlan.Step step, SecretWrite want, Secret current) {
    if (step instanceof SecretPlan.Nothing n) {
      return new Synced(n.outcome(), Optional.ofNullable(current).map(KnownSecret::new));
    }
    if (step instanceof SecretPlan.Create c) {
      return written(Outcome.CREATED, secrets(want).resource(c.secret()).create());
    }
    if (step instanceof SecretPlan.Patch p) {
      // Patching through the known object sends the patch alone: naming the Secret instead would
      // make fabric8 GET it first. The patch is locked to the resourceVersion it was planned on.
      Secret patched = secrets(want).resource(current).patch(PatchContext.of(PatchType.JSON), p.patch().toString());
      log.debug("Secret {} patched: {}", want.what(), p.changed());
      return written(Outcome.PATCHED, patched);
    }
    if (step instanceof SecretPlan.Delete d) {
      try {
        secrets(want).withName(want.name()).lockResourceVersion(d.resourceVersion()).delete();
      } catch (RuntimeException e) {
        if (KubeErrors.code(e) != KubeErrors.NOT_FOUND) {
          throw e;
        }
      }
      return new Synced(Outcome.DELETED, Optional.empty());
    }
    if (step instanceof SecretPlan.Refuse r) {
      throw new DriverException(FailureKind.SPC_INVALID, r.reason());
    }
    SecretPlan.Wait w = (SecretPlan.Wait) step;
    throw new DriverException(FailureKind.API_UNAVAILABLE, w.reason() + "; will retry");
  }

  private static Synced written(Outcome outcome, Secret answer) {
    return new Synced(outcome, Optional.ofNullable(answer).filter(s -> s.getMetadata() != null).map(KnownSecret::new));
  }

  private static String verb(SecretPlan.Step step) {
    if (step instanceof SecretPlan.Create) {
      return "create";
    }
    if (step instanceof SecretPlan.Patch) {
      return "patch";
    }
    return step instanceof SecretPlan.Delete ? "delete" : "write";
  }
}
