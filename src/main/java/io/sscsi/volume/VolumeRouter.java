package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.retry.Backoff;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * Owns the map target path to {@link VolumeActor}: the CSI Node service sends it every publish and
 * unpublish, and it forwards each to the one actor of that path, spawning it on demand. An actor
 * that has become idle tells the router it can be passivated; the router keeps up to
 * {@code maxResting} such idle actors resting (a pod that comes back, or kubelet's next publish to
 * the same path, finds its actor: no spawn and stop per cycle) and passivates the one idle longest
 * beyond that. While an actor stops, the router buffers new calls for its path until the actor has
 * either stopped (the buffer goes to a fresh actor) or cancelled because a call in its mailbox
 * mounted the volume again (the buffer goes to it). So no call is ever lost to a stopping actor, and
 * there is never more than one actor per path.
 */
public final class VolumeRouter extends AbstractBehavior<VolumeRouter.Command> {

  public sealed interface Command {}

  /** kubelet's NodePublishVolume, to be answered by {@code deadline}; forwarded as it is to the volume. */
  public record Publish(PublishRequest request, java.time.Instant deadline, ActorRef<StatusReply<Done>> replyTo)
      implements Command, VolumeActor.Command {}

  /** kubelet's NodeUnpublishVolume; forwarded as it is to the volume. */
  public record Unpublish(Path targetPath, ActorRef<StatusReply<Done>> replyTo) implements Command, VolumeActor.Command {}

  /** A SecretProviderClass changed: every volume mounted from it refreshes (when rotation is on). */
  public record ClassChanged(String namespace, String name) implements Command {}

  /** A watched nodePublishSecretRef Secret changed: volumes using it refresh (when rotation is on). */
  public record PublishSecretChanged(String namespace, String name) implements Command {}

  /**
   * Every volume actor in use (resting idle ones left out), for the admin endpoint to ask each for its
   * {@link VolumeView}.
   */
  public record ListVolumes(ActorRef<java.util.List<ActorRef<VolumeActor.Command>>> replyTo) implements Command {}

  record Passivate(Path target, ActorRef<VolumeActor.Command> volume) implements Command {}

  record PassivationCancelled(Path target, ActorRef<VolumeActor.Command> volume) implements Command {}

  private record VolumeStopped(Path target, ActorRef<VolumeActor.Command> volume) implements Command {}

  private record Recovered(List<AdoptedVolume> volumes, Throwable failure) implements Command {}

  /** The backoff after a failed restart recovery has passed: try again. */
  private record RetryRecovery() implements Command {}

  /** A publish held for restart recovery reached its deadline. */
  private record RecoveryWaitExpired(Publish publish) implements Command {}

  private static final class Entry {
    final ActorRef<VolumeActor.Command> ref;
    boolean passivating;
    /**
     * Idle and kept: it said it can be passivated, and has had no call since. Changes are still
     * broadcast to it (an idle actor ignores them): a publish routed to it just before its idle report
     * came in (kubelet never sends one beside an unpublish of the same target) must not miss one.
     */
    boolean resting;
    final List<VolumeActor.Command> buffer = new ArrayList<>();

    Entry(ActorRef<VolumeActor.Command> ref) {
      this.ref = ref;
    }

  }

  /**
   * Between attempts of a restart recovery that failed (the API server down or refusing the status
   * list): 1 s, doubling, at most 30 s, for as long as it fails.
   */
  static final Backoff RECOVERY_RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2);

  /** Idle actors kept by default: a few KiB each; beyond these the one idle longest stops. */
  static final int MAX_RESTING = 128;

  private final VolumeDeps deps;
  private final int maxResting;
  private final Map<Path, Entry> volumes = new HashMap<>();
  /** Resting actors' paths, the one idle longest first. */
  private final LinkedHashSet<Path> resting = new LinkedHashSet<>();
  private long spawned;

  public static Behavior<Command> create(VolumeDeps deps) {
    return create(deps, new RecoveryProgress());
  }

  /** A router that reports restart recovery's failures to {@code progress} (for {@code /readyz}). */
  public static Behavior<Command> create(VolumeDeps deps, RecoveryProgress progress) {
    return create(deps, MAX_RESTING, progress);
  }

  /** A router keeping at most {@code maxResting} idle actors (0: each is passivated once idle). */
  static Behavior<Command> create(VolumeDeps deps, int maxResting) {
    return create(deps, maxResting, new RecoveryProgress());
  }

  private static Behavior<Command> create(VolumeDeps deps, int maxResting, RecoveryProgress progress) {
    return Behaviors.setup(ctx -> {
      VolumeRouter router = new VolumeRouter(ctx, deps, maxResting);
      if (deps.settings().podsDir() == null) {
        return router;
      }
      router.startRecovery();
      return router.recovering(new ArrayList<>(), progress, 0);
    });
  }

  /** One attempt of restart recovery, on the blocking dispatcher; its outcome comes back as {@link Recovered}. */
  private void startRecovery() {
    getContext().pipeToSelf(java.util.concurrent.CompletableFuture.supplyAsync(
            () -> new RestartRecovery(deps).run(), deps.blocking()),
        (volumes, failure) -> new Recovered(volumes, failure));
  }

  /**
   * Until restart recovery has finished: publish and unpublish calls are held, in order, and routed
   * once the recovered volumes have their actors. A publish still held at its deadline is answered
   * DEADLINE_EXCEEDED ("restart recovery is still running"): kubelet retries it. An unpublish waits
   * for its ask's timeout. Class and Secret changes reach no volume yet (there is none). An attempt
   * that fails (the API server down or refusing the status list) is tried again after
   * {@link #RECOVERY_RETRY}, for as long as it fails, with the calls still held: deciding a call
   * before its target's recovered state is known could hand another pod's volume to a new one.
   * {@code progress} tells {@code /readyz} meanwhile; {@code failures} counts the failed attempts.
   */
  private Behavior<Command> recovering(List<Command> held, RecoveryProgress progress, int failures) {
    return Behaviors.receive(Command.class)
        .onMessage(Recovered.class, recovered -> {
          if (recovered.failure() != null) {
            int attempt = failures + 1;
            Duration retryIn = RECOVERY_RETRY.delay(attempt);
            String reason = reason(recovered.failure());
            getContext().getLog().warn("restart recovery failed (attempt {}), volume calls stay held; next attempt in"
                + " {} s: {}", attempt, retryIn.toSeconds(), reason);
            progress.failed(attempt, reason, retryIn);
            getContext().scheduleOnce(retryIn, getContext().getSelf(), new RetryRecovery());
            return recovering(held, progress, attempt);
          }
          progress.finished();
          onRecovered(recovered);
          held.forEach(this::routeCall);
          return this;
        })
        .onMessage(RetryRecovery.class, retry -> {
          startRecovery();
          return Behaviors.same();
        })
        .onMessage(Publish.class, p -> {
          held.add(p);
          Duration wait = Duration.between(deps.time().clock().instant(), p.deadline());
          getContext().scheduleOnce(wait.isNegative() ? Duration.ZERO : wait, getContext().getSelf(),
              new RecoveryWaitExpired(p));
          return Behaviors.same();
        })
        .onMessage(Unpublish.class, u -> {
          held.add(u);
          return Behaviors.same();
        })
        .onMessage(RecoveryWaitExpired.class, expired -> {
          if (held.remove(expired.publish())) {
            expired.publish().replyTo().tell(StatusReply.error(new DriverException(FailureKind.TIMEOUT,
                "restart recovery is still running (volumes mounted before the restart are not known yet); retry")));
          }
          return Behaviors.same();
        })
        .onMessage(ListVolumes.class, l -> {
          l.replyTo().tell(List.of());
          return Behaviors.same();
        })
        .onMessage(Command.class, noVolumeYet -> Behaviors.same())
        .build();
  }

  private Behavior<Command> routeCall(Command call) {
    if (call instanceof Publish p) {
      return route(p.request().targetPath(), p);
    }
    Unpublish u = (Unpublish) call;
    return route(u.targetPath(), u);
  }

  private VolumeRouter(ActorContext<Command> context, VolumeDeps deps, int maxResting) {
    super(context);
    this.deps = deps;
    this.maxResting = maxResting;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Publish.class, this::routeCall)
        .onMessage(Unpublish.class, this::routeCall)
        .onMessage(ClassChanged.class, this::onClassChanged)
        .onMessage(PublishSecretChanged.class, changed -> {
          VolumeActor.PublishSecretChanged message = new VolumeActor.PublishSecretChanged(changed.namespace(), changed.name());
          volumes.values().stream().filter(e -> !e.passivating).forEach(e -> e.ref.tell(message));
          return this;
        })
        .onMessage(ListVolumes.class, l -> {
          l.replyTo().tell(volumes.values().stream().filter(e -> !e.resting).map(e -> e.ref).toList());
          return this;
        })
        .onMessage(Passivate.class, this::onPassivate)
        .onMessage(PassivationCancelled.class, this::onPassivationCancelled)
        .onMessage(VolumeStopped.class, this::onVolumeStopped)
        .onMessage(RecoveryWaitExpired.class, routedSince -> this)
        .onMessage(RetryRecovery.class, recoveredSince -> this)
        .build();
  }

  private Behavior<Command> route(Path target, VolumeActor.Command command) {
    Entry entry = volumes.computeIfAbsent(target, this::spawn);
    if (entry.resting) {
      entry.resting = false;
      resting.remove(target);
    }
    if (entry.passivating) {
      entry.buffer.add(command);
    } else {
      entry.ref.tell(command);
    }
    return this;
  }

  /** Volumes found mounted at start get an actor, unless kubelet reached them first. */
  private Behavior<Command> onRecovered(Recovered recovered) {
    int adopted = 0;
    for (AdoptedVolume v : recovered.volumes()) {
      if (!volumes.containsKey(v.target())) {
        volumes.put(v.target(), spawn(v.target(), java.util.Optional.of(v)));
        adopted++;
      }
    }
    getContext().getLog().info("restart recovery: {} mounted volumes adopted", adopted);
    return this;
  }

  /** What made an attempt fail, cut to one short line (the exception thrown inside the future). */
  private static String reason(Throwable failure) {
    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    String text = String.valueOf(cause.getMessage());
    return text.length() > 300 ? text.substring(0, 300) + "…" : text;
  }

  private Entry spawn(Path target) {
    return spawn(target, java.util.Optional.empty());
  }

  private Entry spawn(Path target, java.util.Optional<AdoptedVolume> adopted) {
    ActorRef<VolumeActor.Command> ref = getContext().spawn(
        VolumeActor.create(target, deps, getContext().getSelf(), adopted), "volume-" + (++spawned),
        DispatcherSelector.sameAsParent());
    getContext().watchWith(ref, new VolumeStopped(target, ref));
    return new Entry(ref);
  }

  private Behavior<Command> onClassChanged(ClassChanged changed) {
    VolumeActor.ClassChanged message = new VolumeActor.ClassChanged(changed.namespace(), changed.name());
    volumes.values().stream().filter(e -> !e.passivating).forEach(e -> e.ref.tell(message));
    return this;
  }

  private Behavior<Command> onPassivate(Passivate p) {
    Entry entry = volumes.get(p.target());
    if (entry != null && entry.ref.equals(p.volume()) && !entry.passivating && !entry.resting) {
      entry.resting = true;
      resting.add(p.target());
      while (resting.size() > maxResting) {
        Path longest = resting.iterator().next();
        resting.remove(longest);
        Entry stopping = volumes.get(longest);
        stopping.resting = false;
        stopping.passivating = true;
        stopping.ref.tell(new VolumeActor.Stop());
      }
    }
    return this;
  }

  private Behavior<Command> onPassivationCancelled(PassivationCancelled c) {
    Entry entry = volumes.get(c.target());
    if (entry != null && entry.ref.equals(c.volume())) {
      entry.passivating = false;
      entry.buffer.forEach(entry.ref::tell);
      entry.buffer.clear();
    }
    return this;
  }

  private Behavior<Command> onVolumeStopped(VolumeStopped s) {
    Entry entry = volumes.get(s.target());
    if (entry == null || !entry.ref.equals(s.volume())) {
      return this;
    }
    volumes.remove(s.target());
    resting.remove(s.target());
    if (!entry.buffer.isEmpty()) {
      Entry fresh = volumes.computeIfAbsent(s.target(), this::spawn);
      entry.buffer.forEach(fresh.ref::tell);
    }
    return this;
  }
}
