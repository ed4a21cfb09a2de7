package io.sscsi.k8s;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.spc.ClassChanges;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClassSource;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SecretProviderClasses from an informer over all namespaces (as upstream caches them): reads are
 * served from the informer's store, so a refresh costs no API request, and spec edits are reported
 * to {@link ClassChanges} listeners. Until the informer has synced, or for a class it has not seen
 * yet (a watch lags a create), reads fall back to a GET through {@link KubeProviderClassSource}.
 * Starting the informer never blocks or fails the driver: without list/watch RBAC or an API server
 * it keeps retrying in the background while GETs serve reads.
 */
public final class KubeClassCache implements ProviderClassSource, ClassChanges, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubeClassCache.class);

  private final KubeProviderClassSource direct;
  private final SharedIndexInformer<SecretProviderClass> informer;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  public KubeClassCache(KubeConnection connection) {
    this.direct = new KubeProviderClassSource(connection);
    this.informer = connection.client().resources(SecretProviderClass.class).inAnyNamespace().runnableInformer(0);
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
    informer.start().whenComplete((ok, failure) -> {
      if (failure != null) {
        LOG.warn("SecretProviderClass watch not started ({}); classes are read with a GET on each use",
            failure.getMessage());
      }
    });
  }

  @Override
  public ProviderClass get(String namespace, String name) {
    if (informer.hasSynced()) {
      SecretProviderClass cached = informer.getStore().getByKey(namespace + "/" + name);
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
  public void close() {
    informer.close();
  }
}
