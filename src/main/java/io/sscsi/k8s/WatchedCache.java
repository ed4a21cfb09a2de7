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
import java.util.function.Supplier;

/**
 * What the driver's two caches of watched objects share: a {@link KubeWatch}, started by {@link #start}
 * (the driver starts it after the first volume call was answered, so its list, watch and their classes
 * are not on the first publish's path), its store, and listeners told the namespace and name of an
 * object whose watched part changed (an update that leaves it equal is no change; adds and deletes are
 * none either). Until started, nothing is cached (reads fall back to the caller's own), and
 * {@link #watchProblem()} says the watch has not started. Not thread-confined: the informer's thread
 * calls the listeners.
 */
abstract class WatchedCache<T extends HasMetadata> implements KubeReachability.Watched, AutoCloseable {

  private final String what;
  private final Supplier<SharedIndexInformer<T>> informer;
  private final Function<T, Object> watched;
  private final boolean required;
  private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();
  /** Empty until {@link #start}; then the running (or retrying) watch. */
  private volatile Optional<KubeWatch<T>> watch = Optional.empty();
  private boolean closed;

  /**
   * @param what what is watched (for logs and {@code /readyz})
   * @param informer builds the runnable informer, when {@link #start} is called (not before)
   * @param watched the part of an object whose change is reported
   * @param required whether a refused watch makes the driver not ready ({@link KubeWatch})
   */
  WatchedCache(String what, Supplier<SharedIndexInformer<T>> informer, Function<T, Object> watched, boolean required) {
    this.what = what;
    this.informer = informer;
    this.watched = watched;
    this.required = required;
  }

  /**
   * Builds the informer and starts listing and watching in the background; once (later calls, and
   * calls after {@link #close}, do nothing). Never blocks on the API server or fails for it.
   */
  public final synchronized void start() {
    if (closed || watch.isPresent()) {
      return;
    }
    SharedIndexInformer<T> built = informer.get();
    built.addEventHandler(new ResourceEventHandler<>() {
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
    KubeWatch<T> started = new KubeWatch<>(what, built, required);
    watch = Optional.of(started);
    started.start();
  }

  /** Whether the informer has listed once (its store is complete); false before {@link #start}. */
  final boolean synced() {
    return watch.map(KubeWatch::synced).orElse(false);
  }

  /** The watched object, if the store holds it. */
  final Optional<T> cached(String namespace, String name) {
    return watch.flatMap(w -> Optional.ofNullable(w.store().getByKey(namespace + "/" + name)));
  }

  /** {@code listener} hears of every change from now on. */
  final void listen(BiConsumer<String, String> listener) {
    listeners.add(listener);
  }

  @Override
  public final Optional<String> watchProblem() {
    return watch.map(KubeWatch::problem).orElseGet(() -> Optional.of("watch of " + what + " not started yet"));
  }

  @Override
  public final String watchName() {
    return what;
  }

  @Override
  public final Optional<String> seenVersion() {
    return watch.flatMap(KubeWatch::seenVersion);
  }

  @Override
  public final synchronized void close() {
    closed = true;
    watch.ifPresent(KubeWatch::close);
  }
}
