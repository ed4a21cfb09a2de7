package io.sscsi.k8s;

import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.spc.ClassChanges;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClassSource;
import java.util.Optional;

/**
 * SecretProviderClasses from an informer over all namespaces (as upstream caches them): reads are
 * served from the informer's store, so a refresh costs no API request, and spec edits are reported
 * to {@link ClassChanges} listeners. Until the informer has synced, or for a class it has not seen
 * yet (a watch lags a create), reads fall back to a GET through {@link KubeProviderClassSource}; so
 * do reads before {@link #start()}. Starting the informer never blocks or fails the driver: without list/watch RBAC or an API server
 * it keeps retrying in the background ({@link KubeWatch}) while GETs serve reads, and
 * {@link #watchProblem()} says so. The watch is required: list/watch on SecretProviderClasses is in
 * the driver's base RBAC.
 */
public final class KubeClassCache extends WatchedCache<SecretProviderClass>
    implements ProviderClassSource, ClassChanges {

  private final KubeProviderClassSource direct;

  public KubeClassCache(KubeConnection connection) {
    super("SecretProviderClasses",
        () -> connection.client().resources(SecretProviderClass.class).inAnyNamespace().runnableInformer(0),
        SecretProviderClass::getSpec, true);
    this.direct = new KubeProviderClassSource(connection);
  }

  @Override
  public ProviderClass get(String namespace, String name) {
    if (synced()) {
      Optional<SecretProviderClass> cached = cached(namespace, name);
      if (cached.isPresent()) {
        return KubeProviderClassSource.toProviderClass(namespace, name, cached.get().getSpec());
      }
    }
    return direct.get(namespace, name);
  }

  @Override
  public void subscribe(Listener listener) {
    listen(listener::changed);
  }
}
