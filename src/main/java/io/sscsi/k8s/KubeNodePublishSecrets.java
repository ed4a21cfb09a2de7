package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sscsi.pods.NodePublishSecrets;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * nodePublishSecretRef Secrets through fabric8: the pod spec names the Secret, and an informer over
 * Secrets labelled {@code secrets-store.csi.k8s.io/used=true} (in all namespaces; nothing else is
 * watched) keeps their data and reports changes. The watch is retried until it runs
 * ({@link KubeWatch}); without list/watch RBAC on Secrets (the optional syncing role grants it) it
 * stays off (one WARN, not a readiness problem) and volumes refresh with kubelet's last copy.
 * Values never reach a log.
 */
public final class KubeNodePublishSecrets implements NodePublishSecrets, KubeReachability.Watched, AutoCloseable {

  private final KubeConnection connection;
  private final String driverName;
  private final KubeWatch<Secret> watch;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  public KubeNodePublishSecrets(KubeConnection connection, String driverName) {
    this.connection = connection;
    this.driverName = driverName;
    SharedIndexInformer<Secret> informer =
        connection.client().secrets().inAnyNamespace().withLabel(USED_LABEL, "true").runnableInformer(0);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override public void onAdd(Secret secret) {}

      @Override public void onUpdate(Secret before, Secret after) {
        if (!Objects.equals(before.getData(), after.getData())) {
          listeners.forEach(l -> l.changed(after.getMetadata().getNamespace(), after.getMetadata().getName()));
        }
      }

      @Override public void onDelete(Secret secret, boolean unknown) {}
    });
    this.watch = new KubeWatch<>("Secrets labelled " + USED_LABEL + "=true", informer, false);
    watch.start();
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
    Secret secret = watch.store().getByKey(namespace + "/" + name);
    if (secret == null) {
      return Optional.empty();
    }
    Map<String, String> data = new TreeMap<>();
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    return Optional.of(data);
  }

  @Override
  public void subscribe(Listener listener) {
    listeners.add(listener);
  }

  @Override
  public Optional<String> watchProblem() {
    return watch.problem();
  }

  @Override
  public void close() {
    watch.close();
  }
}
