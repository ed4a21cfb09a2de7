package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Secret;
import io.sscsi.metrics.SyncControllerMetrics;
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
 * hands out the sync slots: per provider (the lane the object names through its class), at most
 * {@code maxConcurrent} syncs run at once, the others wait in FIFO order, so a thousand objects
 * created together (or a controller start) meet the provider's pool at its own size rather than
 * overflowing its queue, and a provider that hangs holds only its own lane's slots. Talks to: the
 * watches and the admin route (in), its children (both ways).
 */
public final class SecretSyncGroup extends AbstractBehavior<SecretSyncGroup.Command> {

  public sealed interface Command {}

  public record SyncChanged(SecretSync sync) implements Command {}

  public record SyncDeleted(SyncKey key) implements Command {}

  /** A class was added, edited ({@code now}: it as it is now) or deleted ({@code now} empty, also when not known). */
  public record ClassChanged(String namespace, String name, Optional<ClassRef> now) implements Command {}

  public record SecretChanged(SyncKey key, Optional<Secret> secret) implements Command {}

  /** The actors, for {@code GET /secretsyncs}. */
  public record ListActors(ActorRef<List<ActorRef<SecretSyncActor.Command>>> replyTo) implements Command {}

  /** @param lane the provider the object's class names ({@code ""} when not known) */
  record WantsToRun(ActorRef<SecretSyncActor.Command> actor, String lane) implements Command {}

  record RunFinished(ActorRef<SecretSyncActor.Command> actor) implements Command {}

  private record Child(ActorRef<SecretSyncActor.Command> ref, String className) {}

  private final SyncDeps deps;
  private final int maxConcurrent;
  private final Map<SyncKey, Child> children = new HashMap<>();
  /** The sync slots of one provider: who runs, who waits (FIFO). */
  private static final class Lane {
    final Set<ActorRef<SecretSyncActor.Command>> running = new HashSet<>();
    final ArrayDeque<ActorRef<SecretSyncActor.Command>> queue = new ArrayDeque<>();
  }

  private final Map<String, Lane> lanes = new HashMap<>();
  /** The lane each running or waiting actor is in. */
  private final Map<ActorRef<SecretSyncActor.Command>, String> laneOf = new HashMap<>();

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
          SyncControllerMetrics.objects(children.size());
          return this;
        })
        .onMessage(ClassChanged.class, c -> {
          children.values().stream().filter(ch -> c.name().equals(ch.className())
                  && ch.ref().path().name().startsWith(c.namespace() + ":"))
              .forEach(ch -> ch.ref().tell(new SecretSyncActor.ClassChanged(c.now())));
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
          String name = laneOf.getOrDefault(w.actor(), w.lane());
          Lane lane = lanes.computeIfAbsent(name, k -> new Lane());
          laneOf.put(w.actor(), name);
          if (lane.running.contains(w.actor()) || lane.running.size() < maxConcurrent) {
            lane.running.add(w.actor());
            w.actor().tell(new SecretSyncActor.Permit());
          } else if (!lane.queue.contains(w.actor())) {
            lane.queue.add(w.actor());
          }
          return this;
        })
        .onMessage(RunFinished.class, f -> {
          finished(f.actor());
          return this;
        })
        .onSignal(Terminated.class, t -> {
          @SuppressWarnings("unchecked")
          ActorRef<SecretSyncActor.Command> gone = (ActorRef<SecretSyncActor.Command>) (ActorRef<?>) t.getRef();
          String name = laneOf.get(gone);
          if (name != null) {
            lanes.get(name).queue.remove(gone);
          }
          finished(gone);
          return this;
        })
        .build();
  }

  /** {@code actor}'s run ended (or it stopped): its slot goes to the next in its lane. */
  private void finished(ActorRef<SecretSyncActor.Command> actor) {
    String name = laneOf.get(actor);
    if (name == null) {
      return;
    }
    Lane lane = lanes.get(name);
    if (!lane.running.remove(actor) && lane.queue.contains(actor)) {
      return; // still waiting for a slot
    }
    laneOf.remove(actor);
    while (lane.running.size() < maxConcurrent && !lane.queue.isEmpty()) {
      ActorRef<SecretSyncActor.Command> next = lane.queue.poll();
      lane.running.add(next);
      next.tell(new SecretSyncActor.Permit());
    }
    if (lane.running.isEmpty() && lane.queue.isEmpty()) {
      lanes.remove(name);
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
      SyncControllerMetrics.objects(children.size());
    } else {
      children.put(key, new Child(c.ref(), className));
      c.ref().tell(new SecretSyncActor.Changed(sync));
    }
    return this;
  }
}
