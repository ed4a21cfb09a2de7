package io.sscsi.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;

/** Wraps a test's fabric8 client (the mock API server's) as the driver's connection. */
public final class KubeTestConnections {
  private KubeTestConnections() {}

  public static KubeConnection of(KubernetesClient client) {
    return new KubeConnection(client);
  }
}
