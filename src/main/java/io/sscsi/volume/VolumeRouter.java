package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.retry.Backoff;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
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

  /** A call of kubelet's for one target, answered on {@code replyTo} by {@code deadline} (after it, nobody listens). */
  public sealed interface VolumeCall extends Command permits Publish, Unpublish {
    Path target();

    Instant deadline();

    ActorRef<StatusReply<Done>> replyTo();
  }

  /** kubelet's NodePublishVolume, to be answered by {@code deadline}; forwarded as it is to the volume. */
  public record Publish(PublishRequest request, Instant deadline, ActorRef<StatusReply<Done>> replyTo)
      implements VolumeCall, VolumeActor.Command {
    @Override
    public Path target() {
      return request.targetPath();
    }
  }

  /**
   * kubelet's NodeUnpublishVolume, whose caller waits until {@code deadline}; forwarded as it is to the
   * volume.
   */
  public record Unpublish(Path targetPath, Instant deadline, ActorRef<StatusReply<Done>> replyTo)
      implements VolumeCall, VolumeActor.Command {
    @Override
    public Path target() {
      return targetPath;
    }
  }

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

  /** A call held for restart recovery reached its deadline. */
  private record RecoveryWaitExpired(VolumeCall call) implements Command {}

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

  /**
   * Calls held at most while restart recovery has not finished. kubelet sends one call per volume at a
   * time and a held call leaves at its deadline or when kubelet's retry supersedes it, so this is only
   * reached with more volumes waiting than a node runs; beyond it a call is refused (RESOURCE_EXHAUSTED).
   */
  static final int MAX_HELD = 1_024;

  /** Idle actors kept by default: a few KiB each; beyond these the one idle longest stops. */
  static final int MAX_RESTING = 128;

  private final VolumeDeps deps;
  private final int maxResting;
  private final Supplier<List<AdoptedVolume>> recovery;
  private final Map<Path, Entry> volumes = new HashMap<>();
  /** Resting actors' paths, the one idle longest first. */
  private final LinkedHashSet<Path> resting = new LinkedHashSet<>();
  private long spawned;

  public static Behavior<Command> create(VolumeDeps deps) {
    return create(deps, new RecoveryProgress());
  }

  /** A router that reports restart recovery's failures to {@code progress} (for {@code /readyz}). */
  public static Behavior<Command> create(VolumeDeps deps, RecoveryProgress progress) {
    return create(deps, MAX_RESTING, progress, () -> new RestartRecovery(deps).run(), MAX_HELD);
  }

  /** A router keeping at most {@code maxResting} idle actors (0: each is passivated once idle). */
  static Behavior<Command> create(VolumeDeps deps, int maxResting) {
    return create(deps, maxResting, new RecoveryProgress(), () -> new RestartRecovery(deps).run(), MAX_HELD);
  }

  /**
   * A router whose restart recovery is {@code recovery} (run on the blocking dispatcher; throwing fails
   * the attempt), holding at most {@code maxHeld} calls meanwhile.
   */
  static Behavior<Command> create(VolumeDeps deps, int maxResting, RecoveryProgress progress,
      Supplier<List<AdoptedVolume>> recovery, int maxHeld) {
    return Behaviors.setup(ctx -> {
      VolumeRouter router = new VolumeRouter(ctx, deps, maxResting, recovery);
      if (deps.settings().podsDir() == null) {
        return router;
      }
      router.startRecovery();
      return router.recovering(new HeldCalls(maxHeld), progress, 0);
    });
  }

  /** One attempt of restart recovery, on the blocking dispatcher; its outcome comes back as {@link Recovered}. */
  private void startRecovery() {
    getContext().pipeToSelf(java.util.concurrent.CompletableFuture.supplyAsync(recovery, deps.blocking()),
        (volumes, failure) -> new Recovered(volumes, failure));
  }

  /**
   * Until restart recovery has finished: publish and unpublish calls are held, in order, and routed
   * once the recovered volumes have their actors. A call still held at its deadline is answered
   * DEADLINE_EXCEEDED ("restart recovery is still running") and let go: kubelet retries it. A call
   * that kubelet's retry (the same kind, the same target) supersedes is answered so and let go too;
   * beyond {@link HeldCalls}' bound a call is answered RESOURCE_EXHAUSTED at once. Class and Secret
   * changes reach no volume yet (there is none). An attempt that fails (the API server down or
   * refusing the status list) is tried again after {@link #RECOVERY_RETRY}, for as long as it fails,
   * with the calls still held: deciding a call before its target's recovered state is known could hand
   * another pod's volume to a new one. {@code progress} tells {@code /readyz} meanwhile;
   * {@code failures} counts the failed attempts.
   */
  private Behavior<Command> recovering(HeldCalls held, RecoveryProgress progress, int failures) {
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
          held.drain().forEach(this::routeCall);
          return this;
        })
        .onMessage(RetryRecovery.class, retry -> {
          startRecovery();
          return Behaviors.same();
        })
        .onMessage(VolumeCall.class, call -> {
          HeldCalls.Admission admission = held.hold(call);
          if (admission instanceof HeldCalls.Full full) {
            call.replyTo().tell(StatusReply.error(new DriverException(FailureKind.RECOVERY_BACKLOG_FULL,
                "restart recovery is still running and " + full.bound() + " volume calls wait for it already; retry")));
            return Behaviors.same();
          }
          ((HeldCalls.Held) admission).superseded().ifPresent(old -> old.replyTo().tell(StatusReply.error(
              new DriverException(FailureKind.TIMEOUT, "restart recovery is still running; a newer call for "
                  + old.target() + " replaced this one"))));
          Duration wait = Duration.between(deps.time().clock().instant(), call.deadline());
          getContext().scheduleOnce(wait.isNegative() ? Duration.ZERO : wait, getContext().getSelf(),
              new RecoveryWaitExpired(call));
          return Behaviors.same();
        })
        .onMessage(RecoveryWaitExpired.class, expired -> {
          if (held.expire(expired.call(), deps.time().clock().instant())) {
            expired.call().replyTo().tell(StatusReply.error(new DriverException(FailureKind.TIMEOUT,
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

  private Behavior<Command> routeCall(VolumeCall call) {
    // the concrete record is what the volume actor hears
    return call instanceof Publish p ? route(p.target(), p) : route(call.target(), (Unpublish) call);
  }

  private VolumeRouter(ActorContext<Command> context, VolumeDeps deps, int maxResting,
      Supplier<List<AdoptedVolume>> recovery) {
    super(context);
    this.deps = deps;
    this.maxResting = maxResting;
    this.recovery = recovery;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(VolumeCall.class, this::routeCall)
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
