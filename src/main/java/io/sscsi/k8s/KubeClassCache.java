package io.sscsi.k8s;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.spc.ClassChanges;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClassSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * SecretProviderClasses from an informer over all namespaces (as upstream caches them): reads are
 * served from the informer's store, so a refresh costs no API request, and spec edits are reported
 * to {@link ClassChanges} listeners. Until the informer has synced, or for a class it has not seen
 * yet (a watch lags a create), reads fall back to a GET through {@link KubeProviderClassSource}.
 * Starting the informer never blocks or fails the driver: without list/watch RBAC or an API server
 * it keeps retrying in the background ({@link KubeWatch}) while GETs serve reads, and
 * {@link #watchProblem()} says so. The watch is required: list/watch on SecretProviderClasses is in
 * the driver's base RBAC.
 */
public final class KubeClassCache implements ProviderClassSource, ClassChanges, KubeReachability.Watched,
    AutoCloseable {

  private final KubeProviderClassSource direct;
  private final KubeWatch<SecretProviderClass> watch;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  public KubeClassCache(KubeConnection connection) {
    this.direct = new KubeProviderClassSource(connection);
    SharedIndexInformer<SecretProviderClass> informer =
        connection.client().resources(SecretProviderClass.class).inAnyNamespace().runnableInformer(0);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(SecretProviderClass spc) {}

      @Override
      public void onUpdate(SecretProviderClass before, SecretProviderClass after) {
        if (!Objects.equals(before.getSpec(), after.getSpec())) {
          String ns = after.getMetadata().getNamespace();
          String name = after.getMetadata().getName();
          listeners.forEach(l -> l.changed(ns, name));
        }
      }

      @Override
      public void onDelete(SecretProviderClass spc, boolean deletedFinalStateUnknown) {}
    });
    this.watch = new KubeWatch<>("SecretProviderClasses", informer, true);
    watch.start();
  }

  @Override
  public ProviderClass get(String namespace, String name) {
    if (watch.synced()) {
      SecretProviderClass cached = watch.store().getByKey(namespace + "/" + name);
      if (cached != null) {
        return KubeProviderClassSource.toProviderClass(namespace, name, cached.getSpec());
      }
    }
    return direct.get(namespace, name);
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
