package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.sscsi.pods.NodePublishSecrets;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * nodePublishSecretRef Secrets through fabric8: the pod spec names the Secret, and an informer over
 * Secrets labelled {@code secrets-store.csi.k8s.io/used=true} (in all namespaces; nothing else is
 * watched) keeps their data and reports changes, from {@link #start()} on. The watch is retried until it runs
 * ({@link KubeWatch}); without list/watch RBAC on Secrets (the optional syncing role grants it) it
 * stays off (one WARN, not a readiness problem) and volumes refresh with kubelet's last copy.
 * Values never reach a log.
 */
public final class KubeNodePublishSecrets extends WatchedCache<Secret> implements NodePublishSecrets {

  private final KubeConnection connection;
  private final String driverName;

  public KubeNodePublishSecrets(KubeConnection connection, String driverName) {
    super("Secrets labelled " + USED_LABEL + "=true",
        () -> connection.client().secrets().inAnyNamespace().withLabel(USED_LABEL, "true").runnableInformer(0),
        Secret::getData, false);
    this.connection = connection;
    this.driverName = driverName;
  }

  @Override
  public Optional<String> refOf(String namespace, String podName, String className) {
    try {
      Pod pod = connection.client().pods().inNamespace(namespace).withName(podName).get();
      if (pod == null || pod.getSpec() == null || pod.getSpec().getVolumes() == null) {
        return Optional.empty();
      }
      for (Volume v : pod.getSpec().getVolumes()) {
        var csi = v.getCsi();
        if (csi != null && driverName.equals(csi.getDriver()) && csi.getVolumeAttributes() != null
            && className.equals(csi.getVolumeAttributes().get("secretProviderClass"))
            && csi.getNodePublishSecretRef() != null) {
          return Optional.ofNullable(csi.getNodePublishSecretRef().getName());
        }
      }
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.empty(); // kubelet's republish still brings the data
    }
  }

  @Override
  public Optional<Map<String, String>> data(String namespace, String name) {
    return cached(namespace, name).map(secret -> {
      Map<String, String> data = new TreeMap<>();
      if (secret.getData() != null) {
        secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
      }
      return data;
    });
  }

  @Override
  public void subscribe(Listener listener) {
    listen(listener::changed);
  }
}
