package io.sscsi.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;

/**
 * The driver's one handle on the Kubernetes API server, as {@link KubeClientFactory} built it. It
 * hides the fabric8 client from the rest of the driver: code outside this package only passes it
 * to {@link KubeProviderClassSource} and {@link KubePodStatusStore}, logs {@link #masterUrl()} and
 * closes it at shutdown. Thread-safe, like the client it wraps.
 */
public final class KubeConnection implements AutoCloseable {
  private final KubernetesClient client;

  KubeConnection(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The fabric8 client, for the sync controller's edge ({@code io.sscsi.synccontroller.KubeSyncApi}). */
  public KubernetesClient client() {
    return client;
  }

  /** The API server URL the connection will talk to (no request is made to find it). */
  public String masterUrl() {
    return client.getConfiguration().getMasterUrl();
  }

  /** Releases the HTTP client's connections and threads. */
  @Override
  public void close() {
    client.close();
  }
}
