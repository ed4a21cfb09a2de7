package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.fs.ContentDeleted;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.status.PodStatus;
import io.sscsi.spc.ProviderClass;
import io.sscsi.volume.RefreshPolicy.Decision;
import io.sscsi.volume.RefreshPolicy.Trigger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * Owns one target path: its tmpfs mount, the content it wrote, its SecretProviderClassPodStatus,
 * its rotation timer and status-retry timer. Its states are {@link VolumeState}s: idle, adopted
 * (found mounted after a restart) or mounted, and busy while one {@link Attempt} runs; calls that
 * arrive while busy are stashed, so calls can never race on one target. The {@link VolumeRouter}
 * (its parent) forwards kubelet's publish and unpublish calls, class and Secret changes; it answers
 * kubelet, counts the publish, rotation and unpublish metrics from the attempt's kind, and tells
 * {@code SecretSync} when content changed or went away.
 *
 * <p>A first publish undoes what it did on failure and returns the error. A mounted volume
 * refreshes when {@link RefreshPolicy} says so (kubelet's republish, its own jittered timer, a change
 * of its class or of its nodePublishSecretRef Secret); a failed refresh keeps the old content and
 * still answers OK (kubernetes#121271), logs, records the error and raises a pod event. Any failed
 * attempt that keeps the volume (a refresh, an adoption, an unpublish) returns it to the state it
 * started from with that state's timers. A publish for another pod or class than the one the target
 * holds is refused ({@link TargetOwner}) and changes nothing. An adopted volume reads its class and nodePublishSecretRef
 * on kubelet's first publish and is a mounted volume from then on. Idle, it asks the router to passivate it; a restart after an unexpected failure
 * unmounts nothing and relearns the state on the next publish. Time comes from {@link VolumeTime}.
 */
public final class VolumeActor {

  /**
   * What a volume hears. kubelet's calls are the router's own records ({@link VolumeRouter.Publish},
   * {@link VolumeRouter.Unpublish}), forwarded as they came: no copy per call.
   */
  public sealed interface Command permits VolumeRouter.Publish, VolumeRouter.Unpublish, ClassChanged, Describe,
      PublishSecretChanged, TimerRefresh, Stop, RetryStatus, StatusRetried, Published, Learned, Unpublished {}

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

  private record StatusRetried(PodStatus status, int attempt, boolean written) implements Command {}

  private record Published(Attempt attempt, PublishWorkflow.Result result, Throwable failure) implements Command {}

  private record Learned(Attempt.Adoption attempt, MountedVolume volume, Throwable failure) implements Command {}

  private record Unpublished(Attempt.Unpublish attempt, Optional<ProviderClass> spc, Throwable failure)
      implements Command {}

  private static final int STASH_CAPACITY = 1_000;
  private static final Object TIMER = "rotation";
  private static final Object STATUS_TIMER = "status";

  private final ActorContext<Command> context;
  private final StashBuffer<Command> stash;
  private final TimerScheduler<Command> timers;
  private final Path target;
  private final VolumeDeps deps;
  private final PublishWorkflow workflow;
  private final ActorRef<VolumeRouter.Command> router;
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
  }

  /** An actor for a target nothing is known about yet. */
  public static Behavior<Command> create(Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router) {
    return create(target, deps, router, Optional.empty());
  }

  /** An actor for a volume restart recovery found mounted with a complete payload. */
  static Behavior<Command> create(Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router,
      Optional<AdoptedVolume> adopted) {
    Behavior<Command> behavior = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(
        STASH_CAPACITY, stash -> {
          VolumeActor actor = new VolumeActor(ctx, stash, timers, target, deps, router);
          if (adopted.isEmpty()) {
            return actor.idle();
          }
          DriverMetrics.volumesMounted(1);
          return actor.adopted(adopted.get());
        })));
    return Behaviors.supervise(behavior)
        .onFailure(SupervisorStrategy.restart().withLimit(3, Duration.ofMinutes(1)));
  }

  // ------------------------------------------------------------------ states

  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessage(VolumeRouter.Publish.class, call -> runPublish(new Attempt.FirstPublish(call.request(), call.deadline(),
            call.replyTo()), call.request(), Optional.empty(), call.deadline(), VolumeState.IDLE))
        .onMessage(VolumeRouter.Unpublish.class, call -> startUnpublish(VolumeState.IDLE, call))
        .onMessage(Stop.class, stop -> Behaviors.stopped())
        .onMessage(Describe.class, d -> describe(d, VolumeState.IDLE, false))
        .onMessage(Command.class, ignored -> Behaviors.same()) // a late timer or change
        .build();
  }

  private Behavior<Command> adopted(AdoptedVolume volume) {
    VolumeState state = new VolumeState.Adopted(volume);
    TargetOwner owner = TargetOwner.of(volume.status());
    return Behaviors.receive(Command.class)
        .onMessage(VolumeRouter.Publish.class, call -> !owner.owns(call.request()), call -> refuseForeign(call, owner, ""))
        .onMessage(VolumeRouter.Publish.class, call -> startAdoption(volume, call))
        .onMessage(VolumeRouter.Unpublish.class, call -> startUnpublish(state, call))
        .onMessage(Describe.class, d -> describe(d, state, false))
        .onMessage(Stop.class, this::cancelPassivation)
        .onSignal(PreRestart.class, signal -> uncount())
        .onMessage(Command.class, ignored -> Behaviors.same()) // no tokens, no class yet: nothing refreshes
        .build();
  }

  private Behavior<Command> mounted(MountedVolume volume) {
    VolumeState state = new VolumeState.Mounted(volume);
    TargetOwner owner = TargetOwner.of(volume.request());
    return Behaviors.receive(Command.class)
        .onMessage(VolumeRouter.Publish.class, call -> !owner.owns(call.request()),
            call -> refuseForeign(call, owner, volume.provider().value()))
        .onMessage(VolumeRouter.Publish.class, call -> onRepublish(volume, call))
        .onMessage(TimerRefresh.class, tick -> maybeRefresh(volume, Trigger.TIMER))
        .onMessage(ClassChanged.class, changed -> changed.namespace().equals(volume.spc().namespace())
            && changed.name().equals(volume.spc().name()) ? maybeRefresh(volume, Trigger.CLASS_CHANGED) : Behaviors.same())
        .onMessage(PublishSecretChanged.class, changed -> changed.namespace().equals(volume.request().podNamespace())
            && volume.secretRef().filter(changed.name()::equals).isPresent()
            ? maybeRefresh(volume, Trigger.SECRET_CHANGED) : Behaviors.same())
        .onMessage(VolumeRouter.Unpublish.class, call -> startUnpublish(state, call))
        .onMessage(Describe.class, d -> describe(d, state, false))
        .onMessage(RetryStatus.class, retry -> onRetryStatus(volume, retry))
        .onMessage(Stop.class, this::cancelPassivation)
        .onSignal(PreRestart.class, signal -> uncount())
        .build();
  }

  private Behavior<Command> busy(VolumeState before, Attempt attempt) {
    return Behaviors.receive(Command.class)
        .onMessage(Describe.class, d -> describe(d, before, true))
        .onMessage(Published.class, this::onPublished)
        .onMessage(Learned.class, this::onLearned)
        .onMessage(Unpublished.class, this::onUnpublished)
        .onMessage(Command.class, other -> {
          stash.stash(other);
          return Behaviors.same();
        })
        .onSignal(PreRestart.class, signal -> {
          replyTo(attempt).ifPresent(this::answerRestarting);
          answerStashed();
          return before instanceof VolumeState.Idle ? Behaviors.same() : uncount();
        })
        .build();
  }

  private static Optional<ActorRef<StatusReply<Done>>> replyTo(Attempt attempt) {
    if (attempt instanceof Attempt.FirstPublish a) {
      return Optional.of(a.replyTo());
    }
    if (attempt instanceof Attempt.Adoption a) {
      return Optional.of(a.replyTo());
    }
    if (attempt instanceof Attempt.Refresh a) {
      return a.replyTo();
    }
    return Optional.of(((Attempt.Unpublish) attempt).replyTo());
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
  private Behavior<Command> answerStashed() {
    stash.forEach(stashed -> {
      if (stashed instanceof VolumeRouter.Publish p) {
        answerRestarting(p.replyTo());
      } else if (stashed instanceof VolumeRouter.Unpublish u) {
        answerRestarting(u.replyTo());
      }
    });
    return Behaviors.same();
  }

  private Behavior<Command> behaviorFor(VolumeState state) {
    if (state instanceof VolumeState.Mounted mounted) {
      return mounted(mounted.volume());
    }
    if (state instanceof VolumeState.Adopted adopted) {
      return adopted(adopted.volume());
    }
    return idle();
  }

  // ------------------------------------------------------------------ starting attempts

  private Behavior<Command> runPublish(Attempt attempt, PublishRequest request, Optional<MountedVolume> previous,
      Instant deadline, VolumeState before) {
    Instant cap = now().plus(deps.settings().callTimeout());
    Instant providerDeadline = deadline.isBefore(cap) ? deadline : cap;
    context.pipeToSelf(workflow.run(request, previous, providerDeadline),
        (result, failure) -> new Published(attempt, result, failure));
    return busy(before, attempt);
  }

  private Behavior<Command> startAdoption(AdoptedVolume volume, VolumeRouter.Publish call) {
    Attempt.Adoption attempt = new Attempt.Adoption(volume, call.request(), call.deadline(), call.replyTo());
    context.pipeToSelf(workflow.learn(volume, call.request()),
        (learned, failure) -> new Learned(attempt, learned, failure));
    return busy(new VolumeState.Adopted(volume), attempt);
  }

  private Behavior<Command> startUnpublish(VolumeState before, VolumeRouter.Unpublish call) {
    timers.cancel(TIMER); // no refresh queued behind the unpublish; a pending status retry keeps its timer
    nextRefresh = Optional.empty();
    Attempt.Unpublish attempt = new Attempt.Unpublish(before, call.replyTo());
    context.pipeToSelf(workflow.unpublish(target, before), (spc, failure) -> new Unpublished(attempt, spc, failure));
    return busy(before, attempt);
  }

  private static Optional<ContentDeleted> contentDeleted(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ContentDeleted deleted) {
        return Optional.of(deleted);
      }
    }
    return Optional.empty();
  }

  private Behavior<Command> onRepublish(MountedVolume volume, VolumeRouter.Publish call) {
    if (volume.contentRemoved() || decide(Trigger.REPUBLISH, volume) == Decision.REFRESH) {
      return refresh(volume, Trigger.REPUBLISH, call.request(), call.deadline(), Optional.of(call.replyTo()));
    }
    DriverMetrics.publishOk(volume.provider().value()); // upstream counts a skipped republish as a success
    call.replyTo().tell(StatusReply.success(Done.getInstance()));
    return mounted(volume.withRequest(call.request())); // keep kubelet's freshest tokens for the timer
  }

  /**
   * A publish to this target for another pod or class (kubelet never sends one): refused with
   * ALREADY_EXISTS, counted as a failed publish; the volume, its content and its timers are untouched.
   */
  private Behavior<Command> refuseForeign(VolumeRouter.Publish call, TargetOwner owner, String provider) {
    DriverException refusal = owner.refusal(target, call.request());
    DriverMetrics.publishError(provider, refusal.errorType());
    context.getLog().warn("{}", refusal.getMessage());
    call.replyTo().tell(StatusReply.error(refusal));
    return Behaviors.same();
  }

  private Behavior<Command> refresh(MountedVolume volume, Trigger trigger, PublishRequest request, Instant deadline,
      Optional<ActorRef<StatusReply<Done>>> replyTo) {
    Attempt.Refresh attempt = new Attempt.Refresh(volume, trigger, request, deadline, replyTo, System.nanoTime());
    return runPublish(attempt, request, Optional.of(volume), deadline, new VolumeState.Mounted(volume));
  }

  private Behavior<Command> maybeRefresh(MountedVolume volume, Trigger trigger) {
    Decision decision = decide(trigger, volume);
    if (decision == Decision.REFRESH) {
      return refresh(volume, trigger, withWatchedSecrets(volume), now().plus(deps.settings().callTimeout()),
          Optional.empty());
    }
    if (decision == Decision.SKIP_TOKENS_EXPIRED) {
      DriverMetrics.rotationSkipped("tokens_expired");
      context.getLog().info("volume {}: {} refresh skipped, the pod's service-account tokens have expired;"
          + " kubelet's next republish brings fresh ones", target, trigger);
    }
    if (decision == Decision.SKIP_TOKENS_UNREADABLE) {
      DriverMetrics.rotationSkipped("tokens_unreadable");
      if (!tokensUnreadableLogged) { // once per volume: the value stays as it is until kubelet's next republish
        tokensUnreadableLogged = true;
        context.getLog().warn("volume {}: {} refresh skipped, the pod's service-account tokens ({}) cannot be read"
            + " (not a JSON object of audience to token and expiry), so whether they expired cannot be told; the"
            + " driver refreshes this volume only on kubelet's republish until they can", target, trigger,
            ServiceAccountTokens.KEY);
      }
    }
    armTimer();
    return Behaviors.same();
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

  // ------------------------------------------------------------------ attempts finished

  private Behavior<Command> onPublished(Published done) {
    PublishWorkflow.Result result = done.failure() == null ? done.result()
        : new PublishWorkflow.Result.Failed(DriverException.of(done.failure()), "");
    if (done.attempt() instanceof Attempt.FirstPublish first) {
      return firstPublishDone(first, result);
    }
    return refreshDone((Attempt.Refresh) done.attempt(), result);
  }

  /** Upstream's metrics: a kubelet call counts as a publish, a first success as a mounted volume. */
  private Behavior<Command> firstPublishDone(Attempt.FirstPublish first, PublishWorkflow.Result result) {
    if (result instanceof PublishWorkflow.Result.Fetched fetched) {
      contentIn(fetched, "published");
      DriverMetrics.publishOk(fetched.volume().provider().value());
      DriverMetrics.volumesMounted(1);
      first.replyTo().tell(StatusReply.success(Done.getInstance()));
      return stash.unstashAll(mounted(fetched.volume()));
    }
    PublishWorkflow.Result.Failed failed = (PublishWorkflow.Result.Failed) result;
    DriverMetrics.publishError(failed.provider(), failed.error().errorType());
    first.replyTo().tell(StatusReply.error(failed.error()));
    return becomeIdle();
  }

  /**
   * Upstream's semantics: publish and rotation counters only for kubelet's republishes that called the
   * provider; every refresh, whatever its trigger, counts in sscsi_refreshes_total.
   */
  private Behavior<Command> refreshDone(Attempt.Refresh refresh, PublishWorkflow.Result result) {
    boolean kubeletCall = refresh.trigger() == Trigger.REPUBLISH;
    String trigger = refresh.trigger().name().toLowerCase(java.util.Locale.ROOT);
    if (result instanceof PublishWorkflow.Result.Fetched fetched) {
      String provider = fetched.volume().provider().value();
      DriverMetrics.refresh(provider, trigger, fetched.contentChanged() ? "changed" : "unchanged");
      if (kubeletCall) {
        DriverMetrics.publishOk(provider);
        DriverMetrics.rotation(provider, Duration.ofNanos(System.nanoTime() - refresh.startNanos()));
      }
      contentIn(fetched, "refreshed");
      refresh.replyTo().ifPresent(r -> r.tell(StatusReply.success(Done.getInstance())));
      return stash.unstashAll(mounted(fetched.volume()));
    }
    PublishWorkflow.Result.Failed failed = (PublishWorkflow.Result.Failed) result;
    MountedVolume previous = refresh.previous();
    String provider = failed.provider().isEmpty() ? previous.provider().value() : failed.provider();
    DriverException error = failed.error();
    DriverMetrics.refresh(provider, trigger, "error");
    if (kubeletCall) {
      DriverMetrics.publishError(provider, error.errorType());
      DriverMetrics.rotationError(provider, error.errorType());
    }
    String outcome = previous.contentRemoved() ? "the volume stays empty" : "the mounted content is kept";
    context.getLog().warn("volume {}: {} refresh from provider {} failed, {}: {}",
        target, refresh.trigger(), provider, outcome, error.getMessage());
    CompletableFuture.runAsync(() -> deps.events().warning(previous.pod(), "MountRotationFailed",
        "refreshing secrets from provider " + provider + " failed, " + outcome + ": " + error.getMessage()),
        deps.blocking());
    if (previous.contentRemoved()) { // nothing old to keep: kubelet hears the failure, never OK on an empty volume
      refresh.replyTo().ifPresent(r -> r.tell(StatusReply.error(error)));
      return returnTo(new VolumeState.Mounted(previous.emptiedBy(now(), error.getMessage())));
    }
    refresh.replyTo().ifPresent(r -> r.tell(StatusReply.success(Done.getInstance()))); // kubernetes#121271
    return returnTo(new VolumeState.Mounted(previous.withFailure(now(), error.getMessage())));
  }

  /** New content is in place: SecretSync is told when it changed; timers are armed before kubelet hears. */
  private void contentIn(PublishWorkflow.Result.Fetched fetched, String how) {
    MountedVolume volume = fetched.volume();
    if (fetched.podFoundGone()) {
      podGone(volume);
    } else if (fetched.contentChanged() && !volume.podGone()) {
      deps.secretSync().published(volume.spc(), volume.pod(), target);
    }
    if (fetched.contentChanged()) {
      context.getLog().info("volume {} {} for pod {}/{}: {} files from provider {}", target, how,
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
    context.getLog().warn("volume {}: pod {}/{} (uid {}) is gone: the volume writes no status object and owns"
        + " no Secret from now on, and waits for kubelet's unpublish", target, volume.request().podNamespace(),
        volume.request().podName(), volume.request().podUid());
    deps.secretSync().unpublished(volume.spc(), volume.pod());
  }

  /**
   * The adopted volume now knows its class. SecretSync is told, as after a first publish, so it owns
   * the volume's Secrets exactly as before the restart; then the republish goes through the same
   * refresh gate as any mounted volume's.
   */
  private Behavior<Command> onLearned(Learned learned) {
    Attempt.Adoption attempt = learned.attempt();
    if (learned.failure() != null) {
      DriverException error = DriverException.of(learned.failure());
      DriverMetrics.publishError("", error.errorType());
      if (attempt.adopted().contentRemoved()) { // nothing mounted to keep: kubelet hears the failure
        context.getLog().warn("volume {} (adopted at start, emptied by a failed unpublish): its SecretProviderClass"
            + " could not be read, the volume stays empty: {}", target, error.getMessage());
        attempt.replyTo().tell(StatusReply.error(error));
        return returnTo(new VolumeState.Adopted(attempt.adopted().emptiedBy(now(), error.getMessage())));
      }
      context.getLog().warn("volume {} (adopted at start): its SecretProviderClass could not be read, the mounted"
          + " content is kept and the next publish tries again: {}", target, error.getMessage());
      attempt.replyTo().tell(StatusReply.success(Done.getInstance()));
      return returnTo(new VolumeState.Adopted(attempt.adopted().withFailure(now(), error.getMessage())));
    }
    MountedVolume volume = learned.volume();
    deps.secretSync().published(volume.spc(), volume.pod(), target);
    context.getLog().info("volume {} (adopted at start) republished by kubelet: class {}/{}, provider {}", target,
        volume.spc().namespace(), volume.spc().name(), volume.provider());
    if (volume.contentRemoved() || decide(Trigger.REPUBLISH, volume) == Decision.REFRESH) {
      return refresh(volume, Trigger.REPUBLISH, attempt.request(), attempt.deadline(), Optional.of(attempt.replyTo()));
    }
    DriverMetrics.publishOk(volume.provider().value());
    armTimer();
    attempt.replyTo().tell(StatusReply.success(Done.getInstance()));
    return stash.unstashAll(mounted(volume));
  }

  private Behavior<Command> onUnpublished(Unpublished done) {
    VolumeState before = done.attempt().before();
    if (done.failure() != null) {
      Optional<ContentDeleted> emptied = contentDeleted(done.failure());
      DriverException error = emptied.map(ContentDeleted::error).orElseGet(() -> DriverException.of(done.failure()));
      DriverMetrics.unpublishError();
      done.attempt().replyTo().tell(StatusReply.error(error));
      if (emptied.isPresent() && !(before instanceof VolumeState.Idle)) {
        context.getLog().warn("volume {}: unpublish failed after deleting the volume's files; it stays mounted,"
            + " and kubelet's next republish fetches them again: {}", target, error.getMessage());
        return returnTo(before instanceof VolumeState.Mounted mounted
            ? new VolumeState.Mounted(mounted.volume().emptiedBy(now(), error.getMessage()))
            : new VolumeState.Adopted(((VolumeState.Adopted) before).volume().emptiedBy(now(), error.getMessage())));
      }
      context.getLog().warn("volume {}: unpublish failed, the volume is kept as it was: {}", target, error.getMessage());
      if (before instanceof VolumeState.Mounted mounted) { // refused before anything was deleted: shown in /volumes
        return returnTo(new VolumeState.Mounted(mounted.volume().withFailure(now(), error.getMessage())));
      }
      if (before instanceof VolumeState.Adopted adopted) {
        return returnTo(new VolumeState.Adopted(adopted.volume().withFailure(now(), error.getMessage())));
      }
      return returnTo(before);
    }
    DriverMetrics.unpublishOk();
    if (before instanceof VolumeState.Mounted mounted) {
      DriverMetrics.volumesMounted(-1);
      if (!mounted.volume().podGone()) { // a gone pod's Secrets were released when that was learned
        deps.secretSync().unpublished(mounted.volume().spc(), mounted.volume().pod());
      }
    } else if (before instanceof VolumeState.Adopted adopted) {
      DriverMetrics.volumesMounted(-1);
      done.spc().ifPresent(spc -> deps.secretSync().unpublished(spc, adopted.volume().pod()));
    }
    context.getLog().info("volume {} unpublished", target);
    done.attempt().replyTo().tell(StatusReply.success(Done.getInstance()));
    return becomeIdle();
  }

  // ------------------------------------------------------------------ status retries, timer, passivation

  /**
   * The files are correct but the API server did not take the status object: retry with backoff
   * ({@link VolumeTime#statusRetry()}) until it does, or until the volume is unpublished.
   */
  private void retryStatusLater(PodStatus status, int attempt) {
    Duration delay = deps.time().statusRetry().delay(attempt);
    if (attempt == 1 || attempt % 10 == 0) {
      context.getLog().warn("volume {}: status object {} not written (API server), retry {} in {}", target,
          status.objectName(), attempt, delay);
    }
    timers.startSingleTimer(STATUS_TIMER, new RetryStatus(status, attempt), delay);
  }

  private Behavior<Command> onRetryStatus(MountedVolume volume, RetryStatus retry) {
    if (!retry.status().objectVersions().equals(volume.versions()) || volume.podGone()) {
      return Behaviors.same(); // stale (a refresh since wrote or retries newer versions), or its pod is gone
    }
    context.pipeToSelf(CompletableFuture.supplyAsync(() -> workflow.writeStatus(retry.status()).isEmpty(), deps.blocking()),
        (written, failure) -> new StatusRetried(retry.status(), retry.attempt(), failure == null && written));
    return writingStatus(volume);
  }

  /**
   * Mounted, with a status retry's write at the API server: every other command waits behind it, so
   * an unpublish's delete or a refresh's newer status always comes after this write, never beside it
   * (a write landing after the delete would leave a status object for a volume that is gone).
   */
  private Behavior<Command> writingStatus(MountedVolume volume) {
    VolumeState state = new VolumeState.Mounted(volume);
    return Behaviors.receive(Command.class)
        .onMessage(StatusRetried.class, retried -> onStatusRetried(volume, retried))
        .onMessage(Describe.class, d -> describe(d, state, false))
        .onMessage(Command.class, other -> {
          stash.stash(other);
          return Behaviors.same();
        })
        .onSignal(PreRestart.class, signal -> {
          answerStashed();
          return uncount();
        })
        .build();
  }

  private Behavior<Command> onStatusRetried(MountedVolume volume, StatusRetried retried) {
    if (retried.written()) {
      context.getLog().info("volume {}: status object {} written after {} retries", target,
          retried.status().objectName(), retried.attempt());
    } else {
      retryStatusLater(retried.status(), retried.attempt() + 1);
    }
    return stash.unstashAll(mounted(volume));
  }

  private Behavior<Command> describe(Describe d, VolumeState state, boolean busy) {
    d.replyTo().tell(VolumeView.of(target, state, busy, nextRefresh));
    return Behaviors.same();
  }

  private Behavior<Command> cancelPassivation(Stop stop) {
    router.tell(new VolumeRouter.PassivationCancelled(target, context.getSelf()));
    return Behaviors.same();
  }

  /**
   * Where every failed attempt that keeps the volume ends: back in {@code state}, with that state's
   * timers (a mounted volume's rotation timer is armed again; a status retry was never cancelled),
   * so no failure can leave a volume that never refreshes again.
   */
  private Behavior<Command> returnTo(VolumeState state) {
    if (state instanceof VolumeState.Idle) {
      return becomeIdle();
    }
    if (state instanceof VolumeState.Mounted) {
      armTimer();
    }
    return stash.unstashAll(behaviorFor(state));
  }

  private Behavior<Command> becomeIdle() {
    timers.cancel(TIMER);
    timers.cancel(STATUS_TIMER);
    nextRefresh = Optional.empty();
    router.tell(new VolumeRouter.Passivate(target, context.getSelf()));
    return stash.unstashAll(idle());
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
}
