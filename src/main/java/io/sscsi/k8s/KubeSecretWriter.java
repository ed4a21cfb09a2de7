package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link SecretWrite} to the API server: GET the Secret, let {@link SecretPlan} decide
 * the one write (create, JSON Patch locked to the resourceVersion read, delete locked likewise, or
 * nothing), and do it; a 409 (the Secret changed or appeared meanwhile) or a 404 on
 * patch means GET and plan again, a few times. Data go as base64 {@code data}, never
 * {@code stringData}. Also reads the uid of a SecretProviderClassPodStatus, the owners' uids.
 * Failures are {@link DriverException}s: API_FORBIDDEN (hint: the Secret RBAC Helm installs with
 * {@code syncSecret.enabled=true}) and API_UNAVAILABLE are worth retrying; SPC_INVALID (a 400/422
 * answer, a type change, a Secret not managed by the driver) is not. Blocking: call on the blocking
 * dispatcher.
 */
public final class KubeSecretWriter {

  private static final Logger log = LoggerFactory.getLogger(KubeSecretWriter.class);

  /** How many times a write that hit a 409 Conflict (or a patch that hit a 404) is planned again. */
  static final int CONFLICT_RETRIES = 3;

  static final String RBAC_SECRETS_HINT =
      "\"get\", \"create\", \"patch\" and \"delete\" on secrets (Helm: syncSecret.enabled=true)";
  private static final String RBAC_SPCPS_HINT =
      "\"get\" on secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io";
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

  private final KubernetesClient client;

  public KubeSecretWriter(KubeConnection connection) {
    this(connection.client());
  }

  KubeSecretWriter(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * The uid of SecretProviderClassPodStatus {@code namespace/name}; empty when it does not exist.
   *
   * @throws DriverException API_UNAVAILABLE or API_FORBIDDEN
   */
  public Optional<String> podStatusUid(String namespace, String name) {
    try {
      SecretProviderClassPodStatus status =
          client.resources(SecretProviderClassPodStatus.class).inNamespace(namespace).withName(name).get();
      return Optional.ofNullable(status).map(s -> s.getMetadata().getUid());
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == KubeErrors.NOT_FOUND) {
        return Optional.empty();
      }
      throw KubeErrors.translate(e, "get SecretProviderClassPodStatus " + namespace + "/" + name, RBAC_SPCPS_HINT);
    }
  }

  /**
   * Makes the Secret what {@code want} asks for, with at most one write when nothing races us.
   *
   * @throws DriverException API_UNAVAILABLE or API_FORBIDDEN (retry later), SPC_INVALID (do not)
   */
  public Outcome sync(SecretWrite want) {
    String what = "Secret " + want.what();
    for (int attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      Secret existing = get(want);
      SecretPlan.Step step = SecretPlan.plan(existing, want);
      try {
        return write(step, want);
      } catch (DriverException e) {
        throw e;
      } catch (RuntimeException e) {
        int code = KubeErrors.code(e);
        boolean replan = code == KubeErrors.CONFLICT
            || (code == KubeErrors.NOT_FOUND && step instanceof SecretPlan.Patch);
        if (!replan) {
          throw translate(e, verb(step) + " " + what);
        }
        log.debug("{} changed while writing it (HTTP {}), reading it again", what, code);
      }
    }
    throw new DriverException(FailureKind.API_UNAVAILABLE,
        "could not write " + what + ": it kept changing concurrently (" + (CONFLICT_RETRIES + 1) + " attempts)");
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

  /** Does the planned write; API failures are thrown as they come for the caller to classify. */
  private Outcome write(SecretPlan.Step step, SecretWrite want) {
    if (step instanceof SecretPlan.Nothing n) {
      return n.outcome();
    }
    if (step instanceof SecretPlan.Create c) {
      secrets(want).resource(c.secret()).create();
      return Outcome.CREATED;
    }
    if (step instanceof SecretPlan.Patch p) {
      secrets(want).withName(want.name()).patch(PatchContext.of(PatchType.JSON), p.patch().toString());
      log.debug("Secret {} patched: {}", want.what(), p.changed());
      return Outcome.PATCHED;
    }
    if (step instanceof SecretPlan.Delete d) {
      try {
        secrets(want).withName(want.name()).lockResourceVersion(d.resourceVersion()).delete();
      } catch (RuntimeException e) {
        if (KubeErrors.code(e) != KubeErrors.NOT_FOUND) {
          throw e;
        }
      }
      return Outcome.DELETED;
    }
    if (step instanceof SecretPlan.Refuse r) {
      throw new DriverException(FailureKind.SPC_INVALID, r.reason());
    }
    SecretPlan.Wait w = (SecretPlan.Wait) step;
    throw new DriverException(FailureKind.API_UNAVAILABLE, w.reason() + "; will retry");
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
