package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.status.PodStatus;
import io.sscsi.volume.RefreshPolicy.Decision;
import io.sscsi.volume.RefreshPolicy.Trigger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ExtensibleBehavior;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;

/**
 * Owns one target path: its tmpfs mount, the content it wrote, its SecretProviderClassPodStatus, its
 * rotation timer and status-retry timer. The {@link VolumeRouter} (its parent) forwards kubelet's
 * publish and unpublish calls and class and Secret changes; the actor answers kubelet, tells
 * {@code SecretSync} when content changed or went away, and, idle, tells the router it can be
 * passivated. Its states are {@link VolumeState}s (idle, adopted after a restart, mounted), and busy
 * while one {@link Attempt} runs (a first publish, an adoption, a refresh, an unpublish, a status
 * object's retry): calls that arrive meanwhile are stashed, so calls never race on one target, and the
 * attempt's kind decides its reply, metrics, log lines and the next state (a failure that keeps the
 * volume returns it to the state it started from, with that state's timers). A mounted volume refreshes
 * when {@link RefreshPolicy} says so, and a publish for another pod or class than the one the target
 * holds is refused ({@link TargetOwner}) and changes nothing. A restart after an unexpected failure
 * unmounts nothing and relearns the state on the next publish. Time comes from {@link VolumeTime}.
 */
public final class VolumeActor {

  /**
   * What a volume hears. kubelet's calls are the router's own records ({@link VolumeRouter.Publish},
   * {@link VolumeRouter.Unpublish}), forwarded as they came: no copy per call.
   */
  public sealed interface Command permits VolumeRouter.Publish, VolumeRouter.Unpublish, ClassChanged, Describe,
      PublishSecretChanged, TimerRefresh, Stop, RetryStatus, Finished {}

  /** The SecretProviderClass {@code namespace/name} changed. */
  public record ClassChanged(String namespace, String name) implements Command {}

  /** For the admin endpoint: how this volume is now. Answered in every state, never stashed. */
  public record Describe(ActorRef<VolumeView> replyTo) implements Command {}

  /** The nodePublishSecretRef Secret {@code namespace/name} (labelled used=true) changed. */
  public record PublishSecretChanged(String namespace, String name) implements Command {}

  /** The rotation timer fired. */
  record TimerRefresh() implements Command {}

  /** From the router: stop if still idle, else tell the router passivation is off. */
  record Stop() implements Command {}

  /** Time to try writing a status object the API server refused or did not take. */
  private record RetryStatus(PodStatus status, int attempt) implements Command {}

  /** The running attempt's work ended ({@code failure} null when it succeeded). */
  private record Finished<T>(Attempt<T> attempt, T value, Throwable failure) implements Command {
    Behavior<Command> next(Attempt.Volume volume) {
      return attempt.finish(value, failure, volume);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final Class<Finished<?>> FINISHED = (Class) Finished.class;
  private static final int STASH_CAPACITY = 1_000;
  /** Restart x3 per minute, then stop: one strategy shared by every volume. */
  private static final SupervisorStrategy RESTART = SupervisorStrategy.restart().withLimit(3, Duration.ofMinutes(1));
  private static final Object TIMER = "rotation";
  private static final Object STATUS_TIMER = "status";

  private final ActorContext<Command> context;
  private final StashBuffer<Command> stash;
  private final TimerScheduler<Command> timers;
  private final Path target;
  private final VolumeDeps deps;
  private final PublishWorkflow workflow;
  private final ActorRef<VolumeRouter.Command> router;
  private final Logger log;
  /** Idle holds nothing: one behaviour for the actor's life. */
  private final Idle idle;
  private final Attempt.Volume forAttempts = new ForAttempts();
  private Optional<Instant> nextRefresh = Optional.empty();
  /** The unreadable service-account tokens of this volume were reported (logged once per volume). */
  private boolean tokensUnreadableLogged;

  private VolumeActor(ActorContext<Command> context, StashBuffer<Command> stash, TimerScheduler<Command> timers,
      Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router) {
    this.context = context;
    this.stash = stash;
    this.timers = timers;
    this.target = target;
    this.deps = deps;
    this.workflow = new PublishWorkflow(deps);
    this.router = router;
    this.log = context.getLog();
    this.idle = new Idle();
  }

  /** An actor for a target nothing is known about yet. */
  static Behavior<Command> create(Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router) {
    return create(target, deps, router, Optional.empty());
  }

  /** An actor for a volume restart recovery found mounted with a complete payload. */
  static Behavior<Command> create(Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router,
      Optional<AdoptedVolume> adopted) {
    Behavior<Command> behavior = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(
        STASH_CAPACITY, stash -> {
          VolumeActor actor = new VolumeActor(ctx, stash, timers, target, deps, router);
          if (adopted.isEmpty()) {
            return actor.idle;
          }
          DriverMetrics.volumesMounted(1);
          return actor.new Adopted(adopted.get());
        })));
    return Behaviors.supervise(behavior).onFailure(RESTART);
  }

  // ------------------------------------------------------------------ states

  /**
   * Idle holds nothing: one behaviour for the actor's life. Its handlers are one method (no case
   * list and handler lambdas per actor): ten thousand volumes hold ten thousand of these.
   */
  private final class Idle extends ExtensibleBehavior<Command> {
    @Override
    public Behavior<Command> receive(TypedActorContext<Command> ctx, Command message) {
      if (message instanceof VolumeRouter.Publish call) {
        return VolumeActor.this.start(new Attempt.FirstPublish(call.request(), call.deadline(), call.replyTo()));
      }
      if (message instanceof VolumeRouter.Unpublish call) {
        return startUnpublish(VolumeState.IDLE, call);
      }
      if (message instanceof Stop) {
        return Behaviors.stopped();
      }
      if (message instanceof Describe d) {
        return describe(d, VolumeState.IDLE, false);
      }
      return Behaviors.same(); // a late timer or change
    }

    @Override
    public Behavior<Command> receiveSignal(TypedActorContext<Command> ctx, Signal signal) {
      return Behaviors.unhandled();
    }
  }

  /** Found mounted after a restart; no tokens and no class yet, so nothing refreshes. */
  private final class Adopted extends ExtensibleBehavior<Command> {
    private final AdoptedVolume volume;
    private final TargetOwner owner;

    Adopted(AdoptedVolume volume) {
      this.volume = volume;
      this.owner = TargetOwner.of(volume.status());
    }

    @Override
    public Behavior<Command> receive(TypedActorContext<Command> ctx, Command message) {
      if (message instanceof VolumeRouter.Publish call) {
        return owner.owns(call.request())
            ? VolumeActor.this.start(new Attempt.Adoption(volume, call.request(), call.deadline(), call.replyTo()))
            : refuseForeign(call, owner, "");
      }
      if (message instanceof VolumeRouter.Unpublish call) {
        return startUnpublish(new VolumeState.Adopted(volume), call);
      }
      if (message instanceof Describe d) {
        return describe(d, new VolumeState.Adopted(volume), false);
      }
      if (message instanceof Stop stop) {
        return cancelPassivation(stop);
      }
      return Behaviors.same();
    }

    @Override
    public Behavior<Command> receiveSignal(TypedActorContext<Command> ctx, Signal signal) {
      return signal instanceof PreRestart ? uncount() : Behaviors.unhandled();
    }
  }

  /**
   * Mounted: the behaviour itself (entered once per mount, refresh or adoption). A republish the
   * refresh gate skips only keeps kubelet's freshest request (its tokens, for the timer) in
   * {@link #volume}, which the handlers read. Its handlers are one method, as {@link Idle}'s.
   */
  private final class Mounted extends ExtensibleBehavior<Command> {
    private MountedVolume volume;
    private final TargetOwner owner;

    Mounted(MountedVolume volume) {
      this.volume = volume;
      this.owner = TargetOwner.of(volume.request());
    }

    @Override
    public Behavior<Command> receive(TypedActorContext<Command> ctx, Command message) {
      if (message instanceof VolumeRouter.Publish call) {
        return owner.owns(call.request()) ? onRepublish(call) : refuseForeign(call, owner, volume.provider().value());
      }
      if (message instanceof TimerRefresh) {
        return maybeRefresh(Trigger.TIMER);
      }
      if (message instanceof ClassChanged changed) {
        return changed.namespace().equals(volume.spc().namespace()) && changed.name().equals(volume.spc().name())
            ? maybeRefresh(Trigger.CLASS_CHANGED) : Behaviors.same();
      }
      if (message instanceof PublishSecretChanged changed) {
        return changed.namespace().equals(volume.request().podNamespace())
            && volume.secretRef().filter(changed.name()::equals).isPresent()
            ? maybeRefresh(Trigger.SECRET_CHANGED) : Behaviors.same();
      }
      if (message instanceof VolumeRouter.Unpublish call) {
        return startUnpublish(new VolumeState.Mounted(volume), call);
      }
      if (message instanceof Describe d) {
        return describe(d, new VolumeState.Mounted(volume), false);
      }
      if (message instanceof RetryStatus retry) {
        return onRetryStatus(retry);
      }
      if (message instanceof Stop stop) {
        return cancelPassivation(stop);
      }
      return Behaviors.unhandled();
    }

    @Override
    public Behavior<Command> receiveSignal(TypedActorContext<Command> ctx, Signal signal) {
      return signal instanceof PreRestart ? uncount() : Behaviors.unhandled();
    }

    private Behavior<Command> onRepublish(VolumeRouter.Publish call) {
      if (refreshesOnRepublish(volume)) {
        return VolumeActor.this.start(new Attempt.Refresh(volume, Trigger.REPUBLISH, call.request(), call.deadline(),
            Optional.of(call.replyTo()), System.nanoTime()));
      }
      DriverMetrics.publishOk(volume.provider().value()); // upstream counts a skipped republish as a success
      call.replyTo().tell(StatusReply.success(Done.getInstance()));
      volume = volume.withRequest(call.request()); // keep kubelet's freshest tokens for the timer
      return Behaviors.same();
    }

    private Behavior<Command> maybeRefresh(Trigger trigger) {
      Decision decision = decide(trigger, volume);
      if (decision == Decision.REFRESH) {
        return VolumeActor.this.start(new Attempt.Refresh(volume, trigger, withWatchedSecrets(volume),
            now().plus(deps.settings().callTimeout()), Optional.empty(), System.nanoTime()));
      }
      if (decision == Decision.SKIP_TOKENS_EXPIRED) {
        DriverMetrics.rotationSkipped("tokens_expired");
        log.info("volume {}: {} refresh skipped, the pod's service-account tokens have expired;"
            + " kubelet's next republish brings fresh ones", target, trigger);
      }
      if (decision == Decision.SKIP_TOKENS_UNREADABLE) {
        DriverMetrics.rotationSkipped("tokens_unreadable");
        if (!tokensUnreadableLogged) { // once per volume: the value stays as it is until kubelet's next republish
          tokensUnreadableLogged = true;
          log.warn("volume {}: {} refresh skipped, the pod's service-account tokens ({}) cannot be read"
              + " (not a JSON object of audience to token and expiry), so whether they expired cannot be told; the"
              + " driver refreshes this volume only on kubelet's republish until they can", target, trigger,
              ServiceAccountTokens.KEY);
        }
      }
      armTimer();
      return Behaviors.same();
    }

    private Behavior<Command> onRetryStatus(RetryStatus retry) {
      if (!retry.status().objectVersions().equals(volume.versions()) || volume.podGone()) {
        return Behaviors.same(); // stale (a refresh since wrote or retries newer versions), or its pod is gone
      }
      return VolumeActor.this.start(new Attempt.StatusRetry(volume, retry.status(), retry.attempt()));
    }
  }

  /**
   * Busy with {@code attempt}: every other call and change waits in the stash until it has finished,
   * except the admin view's question.
   */
  private Behavior<Command> busy(Attempt<?> attempt) {
    return Behaviors.receive(Command.class)
        .onMessage(Describe.class, d -> describe(d, attempt.before(), attempt.showsBusy()))
        .onMessage(FINISHED, done -> done.attempt() == attempt, done -> done.next(forAttempts))
        .onMessage(FINISHED, beforeARestart -> Behaviors.same())
        .onMessage(Command.class, other -> {
          stash.stash(other);
          return Behaviors.same();
        })
        .onSignal(PreRestart.class, signal -> {
          attempt.waiting().ifPresent(this::answerRestarting);
          answerStashed();
          return attempt.before().holdsMount() ? uncount() : Behaviors.same();
        })
        .build();
  }

  /**
   * The actor failed unexpectedly and restarts (knowing nothing, like a fresh one): whoever waits for
   * it is answered now, not at their deadline. kubelet retries; the next publish relearns the volume.
   */
  private void answerRestarting(ActorRef<StatusReply<Done>> replyTo) {
    replyTo.tell(StatusReply.error(new DriverException(FailureKind.INTERNAL,
        "the actor of volume " + target + " failed and restarted; try again")));
  }

  /** Answers the calls still stashed when the actor fails. */
  private void answerStashed() {
    stash.forEach(stashed -> {
      if (stashed instanceof VolumeRouter.Publish p) {
        answerRestarting(p.replyTo());
      } else if (stashed instanceof VolumeRouter.Unpublish u) {
        answerRestarting(u.replyTo());
      }
    });
  }

  // ------------------------------------------------------------------ starting attempts

  private <T> Behavior<Command> start(Attempt<T> attempt) {
    context.pipeToSelf(attempt.run(forAttempts), (value, failure) -> new Finished<>(attempt, value, failure));
    return busy(attempt);
  }

  private Behavior<Command> startUnpublish(VolumeState before, VolumeRouter.Unpublish call) {
    timers.cancel(TIMER); // no refresh queued behind the unpublish; a pending status retry keeps its timer
    nextRefresh = Optional.empty();
    return VolumeActor.this.start(new Attempt.Unpublish(before, call.replyTo()));
  }

  /**
   * A publish to this target for another pod or class (kubelet never sends one): refused with
   * ALREADY_EXISTS, counted as a failed publish; the volume, its content and its timers are untouched.
   */
  private Behavior<Command> refuseForeign(VolumeRouter.Publish call, TargetOwner owner, String provider) {
    DriverException refusal = owner.refusal(target, call.request());
    DriverMetrics.publishError(provider, refusal.errorType());
    log.warn("{}", refusal.getMessage());
    call.replyTo().tell(StatusReply.error(refusal));
    return Behaviors.same();
  }

  private boolean refreshesOnRepublish(MountedVolume volume) {
    return volume.contentRemoved() || decide(Trigger.REPUBLISH, volume) == Decision.REFRESH;
  }

  /**
   * The last request, with the nodePublishSecretRef data replaced by the watched Secret's current
   * data when there is one (kubelet's service-account tokens, if they came in the secrets, are kept).
   */
  private PublishRequest withWatchedSecrets(MountedVolume volume) {
    PublishRequest r = volume.request();
    return volume.secretRef()
        .flatMap(name -> deps.publishSecrets().data(r.podNamespace(), name))
        .map(data -> {
          Map<String, String> secrets = new HashMap<>(data);
          String tokens = r.secrets().get(ServiceAccountTokens.KEY);
          if (tokens != null) {
            secrets.put(ServiceAccountTokens.KEY, tokens);
          }
          return new PublishRequest(r.volumeId(), r.targetPath(), r.className(), r.podName(), r.podNamespace(),
              r.podUid(), r.volumeContext(), secrets);
        })
        .orElse(r);
  }

  private Decision decide(Trigger trigger, MountedVolume volume) {
    // token expiry matters only when the driver reuses old tokens: not for kubelet's own republish
    boolean reusesTokens = trigger != Trigger.REPUBLISH && deps.settings().rotationEnabled();
    return RefreshPolicy.decide(trigger, deps.settings().rotationEnabled(), deps.settings().rotationInterval(),
        now(), volume.lastSuccess(),
        reusesTokens ? ServiceAccountTokens.expiry(volume.request()) : TokenExpiry.NONE);
  }

  // ------------------------------------------------------------------ what attempts end with

  /** New content is in place: SecretSync is told when it changed; timers are armed before kubelet hears. */
  private void contentIn(PublishWorkflow.Result.Fetched fetched, String how) {
    MountedVolume volume = fetched.volume();
    if (fetched.podFoundGone()) {
      podGone(volume);
    } else if (fetched.contentChanged() && !volume.podGone()) {
      deps.secretSync().published(volume.spc(), volume.pod(), target);
    }
    if (fetched.contentChanged()) {
      log.info("volume {} {} for pod {}/{}: {} files from provider {}", target, how,
          volume.request().podNamespace(), volume.request().podName(), fetched.files(), volume.provider());
    }
    armTimer();
    fetched.pendingStatus().ifPresent(status -> retryStatusLater(status, 1));
  }

  /**
   * The API server says the volume's pod (this uid) is gone, e.g. force-deleted while mounted: the
   * volume writes no status object from now on and gives up its Secrets (Secret sync releases them),
   * so neither is created again for a pod that no longer exists; kubelet's unpublish removes it.
   */
  private void podGone(MountedVolume volume) {
    log.warn("volume {}: pod {}/{} (uid {}) is gone: the volume writes no status object and owns"
        + " no Secret from now on, and waits for kubelet's unpublish", target, volume.request().podNamespace(),
        volume.request().podName(), volume.request().podUid());
    deps.secretSync().unpublished(volume.spc(), volume.pod());
  }

  /**
   * The files are correct but the API server did not take the status object: retry with backoff
   * ({@link VolumeTime#statusRetry()}) until it does, or until the volume is unpublished.
   */
  private void retryStatusLater(PodStatus status, int attempt) {
    Duration delay = deps.time().statusRetry().delay(attempt);
    if (attempt == 1 || attempt % 10 == 0) {
      log.warn("volume {}: status object {} not written (API server), retry {} in {}", target,
          status.objectName(), attempt, delay);
    }
    timers.startSingleTimer(STATUS_TIMER, new RetryStatus(status, attempt), delay);
  }

  /**
   * Where every failed attempt that keeps the volume ends: back in {@code state}, with that state's
   * timers (a mounted volume's rotation timer is armed again; a status retry was never cancelled),
   * so no failure can leave a volume that never refreshes again.
   */
  private Behavior<Command> returnTo(VolumeState state) {
    return state.fold(this::becomeIdle,
        adopted -> stash.unstashAll(new Adopted(adopted)),
        mounted -> {
          armTimer();
          return stash.unstashAll(new Mounted(mounted));
        });
  }

  private Behavior<Command> becomeIdle() {
    timers.cancel(TIMER);
    timers.cancel(STATUS_TIMER);
    nextRefresh = Optional.empty();
    router.tell(new VolumeRouter.Passivate(target, context.getSelf()));
    return stash.unstashAll(idle);
  }

  // ------------------------------------------------------------------ in every state

  private Behavior<Command> describe(Describe d, VolumeState state, boolean busy) {
    d.replyTo().tell(VolumeView.of(target, state, busy, nextRefresh));
    return Behaviors.same();
  }

  private Behavior<Command> cancelPassivation(Stop stop) {
    router.tell(new VolumeRouter.PassivationCancelled(target, context.getSelf()));
    return Behaviors.same();
  }

  /** Restarting forgets the volume (the next publish relearns it), so it leaves the mounted count. */
  private Behavior<Command> uncount() {
    DriverMetrics.volumesMounted(-1);
    return Behaviors.same();
  }

  private void armTimer() {
    if (deps.settings().rotationEnabled() && deps.settings().rotationTimer()) {
      Duration delay = RefreshPolicy.jittered(deps.settings().rotationInterval(), deps.time().jitter().getAsDouble());
      nextRefresh = Optional.of(now().plus(delay));
      timers.startSingleTimer(TIMER, new TimerRefresh(), delay);
    }
  }

  private Instant now() {
    return deps.time().clock().instant();
  }

  /** The actor as its attempts see it ({@link Attempt.Volume}). */
  private final class ForAttempts implements Attempt.Volume {
    @Override
    public Path target() {
      return target;
    }

    @Override
    public VolumeDeps deps() {
      return deps;
    }

    @Override
    public PublishWorkflow workflow() {
      return workflow;
    }

    @Override
    public Logger log() {
      return log;
    }

    @Override
    public Instant now() {
      return VolumeActor.this.now();
    }

    @Override
    public void contentIn(PublishWorkflow.Result.Fetched fetched, String how) {
      VolumeActor.this.contentIn(fetched, how);
    }

    @Override
    public void armTimer() {
      VolumeActor.this.armTimer();
    }

    @Override
    public void retryStatusLater(PodStatus status, int attempt) {
      VolumeActor.this.retryStatusLater(status, attempt);
    }

    @Override
    public boolean refreshesOnRepublish(MountedVolume volume) {
      return VolumeActor.this.refreshesOnRepublish(volume);
    }

    @Override
    public Behavior<Command> start(Attempt<?> next) {
      return VolumeActor.this.start(next);
    }

    @Override
    public Behavior<Command> mounted(MountedVolume volume) {
      return stash.unstashAll(new Mounted(volume));
    }

    @Override
    public Behavior<Command> returnTo(VolumeState state) {
      return VolumeActor.this.returnTo(state);
    }

    @Override
    public Behavior<Command> becomeIdle() {
      return VolumeActor.this.becomeIdle();
    }
  }
}
