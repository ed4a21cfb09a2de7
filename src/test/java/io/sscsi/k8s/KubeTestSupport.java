package io.sscsi.k8s;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Helpers shared by the Kubernetes edge tests. */
final class KubeTestSupport {
  private KubeTestSupport() {}

  /** Writes a kubeconfig for {@code serverUrl} with a dummy bearer token and returns its path. */
  static Path kubeconfig(Path dir, String serverUrl) {
    String yaml =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: test
          cluster:
            server: %s
        contexts:
        - name: test
          context:
            cluster: test
            user: test
            namespace: default
        current-context: test
        users:
        - name: test
          user:
            token: dummy-token-for-tests
        """
            .formatted(serverUrl);
    try {
      return Files.writeString(dir.resolve("kubeconfig"), yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
