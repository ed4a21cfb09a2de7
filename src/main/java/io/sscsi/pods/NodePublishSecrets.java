package io.sscsi.pods;

import java.util.Map;
import java.util.Optional;

/**
 * The Secrets pods name as {@code nodePublishSecretRef}: which one a pod's volume references (read
 * once from the pod spec), and the current data of those labelled
 * {@code secrets-store.csi.k8s.io/used=true}, from a watch filtered on that label (only labelled
 * Secrets are watched). A change lets mounted volumes refresh with the new credentials without
 * waiting for kubelet's next republish.
 */
public interface NodePublishSecrets {
  String USED_LABEL = "secrets-store.csi.k8s.io/used";

  /** No lookups and no watch (local mode). */
  NodePublishSecrets NONE = new NodePublishSecrets() {
    @Override public Optional<String> refOf(String namespace, String podName, String className) {
      return Optional.empty();
    }

    @Override public Optional<Map<String, String>> data(String namespace, String name) {
      return Optional.empty();
    }

    @Override public void subscribe(Listener listener) {}
  };

  /** Called with namespace and name when a watched Secret's data changed; must not block. */
  interface Listener {
    void changed(String namespace, String name);
  }

  /** The nodePublishSecretRef name of the pod's volume of this class, if any. Blocking. */
  Optional<String> refOf(String namespace, String podName, String className);

  /** The Secret's current data (values as strings), if it is labelled used=true and was seen. */
  Optional<Map<String, String>> data(String namespace, String name);

  void subscribe(Listener listener);
}
