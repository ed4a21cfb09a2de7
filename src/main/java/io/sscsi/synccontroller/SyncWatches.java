package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sscsi.k8s.KubeReachability;
import io.sscsi.k8s.KubeWatch;
import io.sscsi.k8s.WatchLiveness;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.synccontroller.model.SecretSync;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The sync controller's three watches, each a {@link KubeWatch} (retried with backoff until the API
 * server answers, so a controller started before its API server comes up on its own), telling the
 * {@link SecretSyncGroup} what changed: SecretSyncs (added, updated, deleted), SecretProviderClasses
 * (added, deleted, or their spec edited: the SecretSyncs naming them re-sync) and the Secrets
 * carrying the managed label (edited or deleted: their SecretSync checks for drift and restores
 * them). The class watch's store also answers the syncs' class lookups without a request. The
 * SecretSync watch starts only once the class store is filled, so that no sync at start finds a
 * class missing that is merely not listed yet.
 */
public final class SyncWatches implements AutoCloseable {
  private final KubeWatch<SecretSync> syncs;
  private final KubeWatch<SecretProviderClass> classes;
  private final KubeWatch<Secret> secrets;
  private volatile boolean closed;

  public SyncWatches(KubernetesClient client, ActorRef<SecretSyncGroup.Command> group) {
    SharedIndexInformer<SecretProviderClass> ci = client.resources(SecretProviderClass.class).inAnyNamespace()
        .runnableInformer(0);
    ci.addEventHandler(handler(
        c -> group.tell(new SecretSyncGroup.ClassChanged(c.getMetadata().getNamespace(), c.getMetadata().getName(),
            Optional.of(ClassRef.of(c)))),
        (a, b) -> !Objects.equals(a.getSpec(), b.getSpec()),
        c -> group.tell(new SecretSyncGroup.ClassChanged(c.getMetadata().getNamespace(), c.getMetadata().getName(),
            Optional.empty()))));
    classes = new KubeWatch<>("SecretProviderClasses", ci, true);

    SharedIndexInformer<SecretSync> si = client.resources(SecretSync.class).inAnyNamespace().runnableInformer(0);
    si.addEventHandler(handler(s -> group.tell(new SecretSyncGroup.SyncChanged(s)), (a, b) -> true,
        s -> group.tell(new SecretSyncGroup.SyncDeleted(SyncKey.of(s)))));
    syncs = new KubeWatch<>("SecretSyncs", si, true);

    SharedIndexInformer<Secret> sec = client.secrets().inAnyNamespace().withLabel(SecretContent.MANAGED_LABEL)
        .runnableInformer(0);
    sec.addEventHandler(handler(s -> { }, (a, b) -> true,
        s -> group.tell(new SecretSyncGroup.SecretChanged(SyncKey.of(s), Optional.empty())),
        s -> group.tell(new SecretSyncGroup.SecretChanged(SyncKey.of(s), Optional.of(s)))));
    secrets = new KubeWatch<>("Secrets labelled " + SecretContent.MANAGED_LABEL, sec, true);
  }

  /** Starts the class and Secret watches now, the SecretSync watch once the classes are listed. */
  public void start() {
    classes.start();
    secrets.start();
    Thread starter = new Thread(() -> {
      while (!classes.synced() && !closed) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
      if (!closed) {
        syncs.start();
      }
    }, "sync-watch-start");
    starter.setDaemon(true);
    starter.start();
  }

  /** SecretProviderClass {@code namespace/name} from the watch; empty when the watch has not listed yet. */
  public Optional<Optional<SecretProviderClass>> cachedClass(String key) {
    return classes.synced() ? Optional.of(Optional.ofNullable(classes.store().getByKey(key))) : Optional.empty();
  }

  /**
   * {@code /readyz}'s check: empty while every watch runs (and, with {@code liveness} on, has heard
   * from the API server within its {@code staleAfter}); else the first problem. As the driver's.
   */
  public KubeReachability reachability(WatchLiveness liveness) {
    return new KubeReachability(liveness, classes, syncs, secrets);
  }

  @Override
  public void close() {
    closed = true;
    syncs.close();
    classes.close();
    secrets.close();
  }

  private static <T extends HasMetadata> ResourceEventHandler<T> handler(Consumer<T> added,
      java.util.function.BiPredicate<T, T> matters, Consumer<T> deleted) {
    return handler(added, matters, deleted, added);
  }

  private static <T extends HasMetadata> ResourceEventHandler<T> handler(Consumer<T> added,
      java.util.function.BiPredicate<T, T> matters, Consumer<T> deleted, Consumer<T> updated) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        added.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        if (matters.test(oldObj, newObj)) {
          updated.accept(newObj);
        }
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        deleted.accept(obj);
      }
    };
  }
}
