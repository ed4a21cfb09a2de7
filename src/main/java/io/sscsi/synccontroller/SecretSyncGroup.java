package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Secret;
import io.sscsi.synccontroller.model.SecretSync;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns one {@link SecretSyncActor} per SecretSync, keyed by namespace/name (the IoT DeviceGroup
 * shape), each supervised (restarted on failure). The watches tell it what changed: a SecretSync
 * (spawns or updates its actor; deleted: stops it), a SecretProviderClass (every SecretSync naming
 * it re-syncs: SSC misses class edits) and a Secret we own (its actor checks for drift). It also
 * hands out the sync slots: at most {@code maxConcurrent} syncs run at once, the others wait in
 * FIFO order, so a thousand objects created together (or a controller start) meet the provider's
 * pool at its own size rather than overflowing its queue. Talks to: the watches and the admin route
 * (in), its children (both ways).
 */
public final class SecretSyncGroup extends AbstractBehavior<SecretSyncGroup.Command> {

  public sealed interface Command {}

  public record SyncChanged(SecretSync sync) implements Command {}

  public record SyncDeleted(SyncKey key) implements Command {}

  public record ClassChanged(String namespace, String name) implements Command {}

  public record SecretChanged(SyncKey key, Optional<Secret> secret) implements Command {}

  /** The actors, for {@code GET /secretsyncs}. */
  public record ListActors(ActorRef<List<ActorRef<SecretSyncActor.Command>>> replyTo) implements Command {}

  record WantsToRun(ActorRef<SecretSyncActor.Command> actor) implements Command {}

  record RunFinished(ActorRef<SecretSyncActor.Command> actor) implements Command {}

  private record Child(ActorRef<SecretSyncActor.Command> ref, String className) {}

  private final SyncDeps deps;
  private final int maxConcurrent;
  private final Map<SyncKey, Child> children = new HashMap<>();
  private final Set<ActorRef<SecretSyncActor.Command>> running = new HashSet<>();
  private final ArrayDeque<ActorRef<SecretSyncActor.Command>> queue = new ArrayDeque<>();

  public static Behavior<Command> create(SyncDeps deps, int maxConcurrent) {
    return Behaviors.setup(ctx -> new SecretSyncGroup(ctx, deps, maxConcurrent));
  }

  private SecretSyncGroup(ActorContext<Command> context, SyncDeps deps, int maxConcurrent) {
    super(context);
    this.deps = deps;
    this.maxConcurrent = Math.max(1, maxConcurrent);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(SyncChanged.class, this::onSyncChanged)
        .onMessage(SyncDeleted.class, d -> {
          Child c = children.remove(d.key());
          if (c != null) {
            getContext().stop(c.ref());
          }
          return this;
        })
        .onMessage(ClassChanged.class, c -> {
          children.values().stream().filter(ch -> c.name().equals(ch.className())
                  && ch.ref().path().name().startsWith(c.namespace() + ":"))
              .forEach(ch -> ch.ref().tell(new SecretSyncActor.ClassChanged()));
          return this;
        })
        .onMessage(SecretChanged.class, s -> {
          Child c = children.get(s.key());
          if (c != null) {
            c.ref().tell(new SecretSyncActor.SecretObserved(s.secret()));
          }
          return this;
        })
        .onMessage(ListActors.class, l -> {
          l.replyTo().tell(children.values().stream().map(Child::ref).toList());
          return this;
        })
        .onMessage(WantsToRun.class, w -> {
          if (running.contains(w.actor()) || running.size() < maxConcurrent) {
            running.add(w.actor());
            w.actor().tell(new SecretSyncActor.Permit());
          } else if (!queue.contains(w.actor())) {
            queue.add(w.actor());
          }
          return this;
        })
        .onMessage(RunFinished.class, f -> {
          running.remove(f.actor());
          grant();
          return this;
        })
        .onSignal(Terminated.class, t -> {
          ActorRef<Void> gone = t.getRef();
          running.removeIf(r -> r.equals(gone));
          queue.removeIf(r -> r.equals(gone));
          grant();
          return this;
        })
        .build();
  }

  private void grant() {
    while (running.size() < maxConcurrent && !queue.isEmpty()) {
      ActorRef<SecretSyncActor.Command> next = queue.poll();
      running.add(next);
      next.tell(new SecretSyncActor.Permit());
    }
  }

  private Behavior<Command> onSyncChanged(SyncChanged changed) {
    SecretSync sync = changed.sync();
    SyncKey key = SyncKey.of(sync);
    String className = sync.getSpec() == null ? null : sync.getSpec().secretProviderClassName();
    Child c = children.get(key);
    if (c == null) {
      ActorRef<SecretSyncActor.Command> ref = getContext().spawn(
          Behaviors.supervise(SecretSyncActor.create(sync, deps, getContext().getSelf()))
              .onFailure(SupervisorStrategy.restart()),
          key.namespace() + ":" + key.name());
      getContext().watch(ref);
      children.put(key, new Child(ref, className));
    } else {
      children.put(key, new Child(c.ref(), className));
      c.ref().tell(new SecretSyncActor.Changed(sync));
    }
    return this;
  }
}
