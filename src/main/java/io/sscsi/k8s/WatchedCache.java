package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * What the driver's two caches of watched objects share: a started {@link KubeWatch}, its store, and
 * listeners told the namespace and name of an object whose watched part changed (an update that
 * leaves it equal is no change; adds and deletes are none either). Not thread-confined: the
 * informer's thread calls the listeners.
 */
abstract class WatchedCache<T extends HasMetadata> implements KubeReachability.Watched, AutoCloseable {

  private final KubeWatch<T> watch;
  private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();

  /**
   * @param what what is watched (for logs and {@code /readyz})
   * @param watched the part of an object whose change is reported
   * @param required whether a refused watch makes the driver not ready ({@link KubeWatch})
   */
  WatchedCache(String what, SharedIndexInformer<T> informer, Function<T, Object> watched, boolean required) {
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {}

      @Override
      public void onUpdate(T before, T after) {
        if (!Objects.equals(watched.apply(before), watched.apply(after))) {
          String namespace = after.getMetadata().getNamespace();
          String name = after.getMetadata().getName();
          listeners.forEach(l -> l.accept(namespace, name));
        }
      }

      @Override
      public void onDelete(T object, boolean deletedFinalStateUnknown) {}
    });
    this.watch = new KubeWatch<>(what, informer, required);
    watch.start();
  }

  /** Whether the informer has listed once (its store is complete). */
  final boolean synced() {
    return watch.synced();
  }

  /** The watched object, if the store holds it. */
  final Optional<T> cached(String namespace, String name) {
    return Optional.ofNullable(watch.store().getByKey(namespace + "/" + name));
  }

  /** {@code listener} hears of every change from now on. */
  final void listen(BiConsumer<String, String> listener) {
    listeners.add(listener);
  }

  @Override
  public final Optional<String> watchProblem() {
    return watch.problem();
  }

  @Override
  public final String watchName() {
    return watch.what();
  }

  @Override
  public final Optional<String> seenVersion() {
    return watch.seenVersion();
  }

  @Override
  public final void close() {
    watch.close();
  }
}
