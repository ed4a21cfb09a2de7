package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Objects;

/**
 * A synced Secret as the API server last answered this driver's write (or read) of it: what the next
 * write is planned against, so that a write needs no read first. Its resourceVersion locks that
 * write: if someone changed the Secret since, the API server refuses it with 409 Conflict and the
 * writer reads it then. Opaque outside this package (it holds the Secret's data; it is never
 * printed). Immutable: never changed after the writer made it.
 */
public final class KnownSecret {
  private final Secret secret;

  KnownSecret(Secret secret) {
    this.secret = Objects.requireNonNull(secret, "secret");
  }

  Secret secret() {
    return secret;
  }

  /** The resourceVersion the next write is locked to. */
  public String resourceVersion() {
    return secret.getMetadata().getResourceVersion();
  }

  @Override
  public String toString() {
    return "Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName()
        + " at resourceVersion " + resourceVersion();
  }
}
