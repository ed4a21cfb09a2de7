package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.volume.PublishWorkflow.Outcome;
import io.sscsi.volume.RefreshPolicy.Decision;
import io.sscsi.volume.RefreshPolicy.Trigger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * Owns one published target path: its tmpfs mount, the content it wrote ({@link MountedVolume}:
 * versions, refresh times, last error, the latest request with kubelet's freshest tokens), its
 * SecretProviderClassPodStatus and its rotation timer. The {@link VolumeRouter} (its parent)
 * forwards kubelet's publish and unpublish calls for this path and SecretProviderClass changes; the
 * actor runs one {@link PublishWorkflow} at a time, stashing whatever arrives meanwhile, so calls can
 * never race on one target. States: idle (nothing mounted by us), mounted, busy. A mounted volume
 * refreshes when {@link RefreshPolicy} says so: on kubelet's republish, on its own jittered timer,
 * or at once when its class changes. A failed refresh keeps the old content and still answers OK to
 * kubelet (kubelet removes the mount directory after a failed republish: kubernetes#121271); the
 * failure is logged and kept as the volume's last error. It tells {@code SecretSync} whenever its
 * content changed or went away. When it becomes idle it asks the router to passivate it; a restart
 * after an unexpected failure unmounts nothing and relearns the state on the next publish.
 */
public final class VolumeActor {

  public sealed interface Command {}

  public record Publish(PublishRequest request, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Unpublish(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The SecretProviderClass {@code namespace/name} changed. */
  public record ClassChanged(String namespace, String name) implements Command {}

  /** For the admin endpoint: how this volume is now. Answered in every state, never stashed. */
  public record Describe(ActorRef<VolumeView> replyTo) implements Command {}

  /** The nodePublishSecretRef Secret {@code namespace/name} (labelled used=true) changed. */
  public record PublishSecretChanged(String namespace, String name) implements Command {}

  /** The rotation timer fired. */
  record TimerRefresh() implements Command {}

  /** Time to try writing a status object the API server refused or did not take. */
  private record RetryStatus(io.sscsi.spc.PodStatus status, int attempt) implements Command {}

  private record StatusRetried(io.sscsi.spc.PodStatus status, int attempt, boolean written) implements Command {}

  /** From the router: stop if still idle, else tell the router passivation is off. */
  record Stop() implements Command {}

  /** A workflow finished; {@code replyTo} is null for refreshes nobody waits for. */
  private record Done_(Trigger trigger, MountedVolume previous, ActorRef<StatusReply<Done>> replyTo,
      long startNanos, Outcome outcome, Throwable failure) implements Command {}

  private record UnpublishDone(Unpublish call, MountedVolume previous, Throwable failure) implements Command {}

  private static final int STASH_CAPACITY = 1_000;
  private static final Object TIMER = "rotation";
  private static final Object STATUS_TIMER = "status";
  private static final Duration STATUS_RETRY_MAX = Duration.ofSeconds(60);

  private final ActorContext<Command> context;
  private final StashBuffer<Command> stash;
  private final TimerScheduler<Command> timers;
  private final Path target;
  private final VolumeDeps deps;
  private final PublishWorkflow workflow;
  private final ActorRef<VolumeRouter.Command> router;
  private Instant nextRefresh;

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

  public static Behavior<Command> create(Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router) {
    return create(target, deps, router, null);
  }

  /** An actor for a volume found mounted with a complete payload after a driver restart. */
  static Behavior<Command> create(Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router,
      MountedVolume recovered) {
    Behavior<Command> behavior = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(
        STASH_CAPACITY, stash -> {
          VolumeActor actor = new VolumeActor(ctx, stash, timers, target, deps, router);
          if (recovered == null) {
            return actor.idle();
          }
          DriverMetrics.volumesMounted(1);
          return actor.mounted(recovered);
        })));
    return Behaviors.supervise(behavior)
        .onFailure(SupervisorStrategy.restart().withLimit(3, Duration.ofMinutes(1)));
  }

  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessage(Publish.class, call -> run(Trigger.REPUBLISH, call.request(), null, call.replyTo()))
        .onMessage(Unpublish.class, call -> startUnpublish(call, null))
        .onMessage(Stop.class, stop -> Behaviors.stopped())
        .onMessage(Describe.class, d -> describe(d, "idle", null))
        .onMessage(Command.class, ignored -> Behaviors.same()) // a late timer or class change
        .build();
  }

  private Behavior<Command> mounted(MountedVolume volume) {
    return Behaviors.receive(Command.class)
        .onMessage(Publish.class, call -> onRepublish(volume, call))
        .onMessage(TimerRefresh.class, tick -> maybeRefresh(volume, Trigger.TIMER))
        .onMessage(ClassChanged.class, changed -> changed.namespace().equals(volume.spc().namespace())
            && changed.name().equals(volume.spc().name()) ? maybeRefresh(volume, Trigger.CLASS_CHANGED) : Behaviors.same())
        .onMessage(PublishSecretChanged.class, changed -> changed.namespace().equals(volume.request().podNamespace())
            && volume.secretRef().filter(changed.name()::equals).isPresent()
            ? maybeRefresh(volume, Trigger.SECRET_CHANGED) : Behaviors.same())
        .onMessage(Unpublish.class, call -> startUnpublish(call, volume))
        .onMessage(Describe.class, d -> describe(d, volume.recovered() ? "recovered" : "mounted", volume))
        .onMessage(RetryStatus.class, this::onRetryStatus)
        .onMessage(StatusRetried.class, this::onStatusRetried)
        .onMessage(Stop.class, stop -> {
          router.tell(new VolumeRouter.PassivationCancelled(target, context.getSelf()));
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> busy(MountedVolume current) {
    return Behaviors.receive(Command.class)
        .onMessage(Describe.class, d -> describe(d, "busy", current))
        .onMessage(Done_.class, this::onDone)
        .onMessage(UnpublishDone.class, this::onUnpublishDone)
        .onMessage(Command.class, other -> {
          stash.stash(other);
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> onRepublish(MountedVolume volume, Publish call) {
    Decision decision = decide(Trigger.REPUBLISH, volume);
    if (decision == Decision.REFRESH) {
      return run(Trigger.REPUBLISH, call.request(), volume, call.replyTo());
    }
    DriverMetrics.publishOk(volume.provider()); // upstream counts a skipped republish as a success
    call.replyTo().tell(StatusReply.success(Done.getInstance()));
    return mounted(volume.withRequest(call.request())); // keep kubelet's freshest tokens for the timer
  }

  private Behavior<Command> maybeRefresh(MountedVolume volume, Trigger trigger) {
    if (volume.recovered()) {
      return Behaviors.same(); // no tokens until kubelet republishes it
    }
    Decision decision = decide(trigger, volume);
    if (decision == Decision.REFRESH) {
      return run(trigger, withWatchedSecrets(volume), volume, null);
    }
    if (decision == Decision.SKIP_TOKENS_EXPIRED) {
      DriverMetrics.rotationSkipped("tokens_expired");
      context.getLog().info("volume {}: {} refresh skipped, the pod's service-account tokens have expired;"
          + " kubelet's next republish brings fresh ones", target, trigger);
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
          java.util.Map<String, String> secrets = new java.util.HashMap<>(data);
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
        Instant.now(), volume.lastSuccess(),
        reusesTokens ? ServiceAccountTokens.earliestExpiry(volume.request()) : java.util.Optional.empty());
  }

  private Behavior<Command> run(Trigger trigger, PublishRequest request, MountedVolume previous,
      ActorRef<StatusReply<Done>> replyTo) {
    long start = System.nanoTime();
    context.pipeToSelf(workflow.run(request, previous),
        (outcome, failure) -> new Done_(trigger, previous, replyTo, start, outcome, failure));
    return busy(previous);
  }

  private Behavior<Command> startUnpublish(Unpublish call, MountedVolume volume) {
    timers.cancel(TIMER);
    timers.cancel(STATUS_TIMER);
    nextRefresh = null;
    context.pipeToSelf(workflow.unpublish(target, volume), (ok, failure) -> new UnpublishDone(call, volume, failure));
    return busy(volume);
  }

  private Behavior<Command> onDone(Done_ done) {
    recordMetrics(done);
    if (done.failure() == null) {
      MountedVolume volume = done.outcome().volume();
      if (done.outcome().contentChanged()) {
        deps.secretSync().published(volume.spc(), volume.pod(), target);
        context.getLog().info("volume {} {} for pod {}/{}: {} files from provider {}", target,
            done.previous() == null ? "published" : "refreshed", volume.request().podNamespace(),
            volume.request().podName(), volume.fileCount(), volume.provider());
      }
      reply(done.replyTo(), StatusReply.success(Done.getInstance()));
      armTimer();
      done.outcome().pendingStatus().ifPresent(status -> retryStatusLater(status, 1));
      return stash.unstashAll(mounted(volume));
    }
    DriverException error = DriverException.of(done.failure());
    if (done.previous() == null) {
      reply(done.replyTo(), StatusReply.error(error));
      return becomeIdle();
    }
    context.getLog().warn("volume {}: {} refresh from provider {} failed, keeping the mounted content: {}",
        target, done.trigger(), done.previous().provider(), error.getMessage());
    java.util.concurrent.CompletableFuture.runAsync(() -> deps.events().warning(done.previous().pod(),
        "MountRotationFailed", "refreshing secrets from provider " + done.previous().provider()
            + " failed, the mounted content is kept: " + error.getMessage()), deps.blocking());
    reply(done.replyTo(), StatusReply.success(Done.getInstance())); // kubernetes#121271
    armTimer();
    return stash.unstashAll(mounted(done.previous().withFailure(Instant.now(), error.getMessage())));
  }

  private Behavior<Command> onUnpublishDone(UnpublishDone done) {
    if (done.failure() != null) {
      DriverMetrics.unpublishError();
      done.call().replyTo().tell(StatusReply.error(DriverException.of(done.failure())));
      return done.previous() != null ? stash.unstashAll(mounted(done.previous())) : becomeIdle();
    }
    DriverMetrics.unpublishOk();
    if (done.previous() != null) {
      DriverMetrics.volumesMounted(-1);
      deps.secretSync().unpublished(done.previous().spc(), done.previous().pod());
    }
    context.getLog().info("volume {} unpublished", target);
    done.call().replyTo().tell(StatusReply.success(Done.getInstance()));
    return becomeIdle();
  }

  /**
   * Upstream's semantics: publish counters for kubelet's calls; rotation counters only for kubelet's
   * republishes that called the provider. Every refresh, whatever its trigger, counts in ours.
   */
  private static void recordMetrics(Done_ done) {
    boolean refresh = done.previous() != null;
    String provider = done.failure() == null ? done.outcome().volume().provider()
        : refresh ? done.previous().provider() : "";
    boolean kubeletCall = done.trigger() == Trigger.REPUBLISH;
    String trigger = done.trigger().name().toLowerCase(java.util.Locale.ROOT);
    if (done.failure() == null) {
      if (kubeletCall) {
        DriverMetrics.publishOk(provider);
      }
      if (!refresh) {
        DriverMetrics.volumesMounted(1);
      } else {
        DriverMetrics.refresh(provider, trigger, done.outcome().contentChanged() ? "changed" : "unchanged");
        if (kubeletCall) {
          DriverMetrics.rotation(provider, Duration.ofNanos(System.nanoTime() - done.startNanos()));
        }
      }
      return;
    }
    String errorType = DriverException.of(done.failure()).errorType();
    if (kubeletCall) {
      DriverMetrics.publishError(provider, errorType);
    }
    if (refresh) {
      DriverMetrics.refresh(provider, trigger, "error");
      if (kubeletCall) {
        DriverMetrics.rotationError(provider, errorType);
      }
    }
  }

  /**
   * The files are correct but the API server did not take the status object: retry with backoff
   * (1 s doubling to 60 s) until it does, or until the volume is unpublished.
   */
  private void retryStatusLater(io.sscsi.spc.PodStatus status, int attempt) {
    Duration delay = Duration.ofSeconds(1L << Math.min(attempt - 1, 6));
    delay = delay.compareTo(STATUS_RETRY_MAX) > 0 ? STATUS_RETRY_MAX : delay;
    if (attempt == 1 || attempt % 10 == 0) {
      context.getLog().warn("volume {}: status object {} not written (API server), retry {} in {}", target,
          status.objectName(), attempt, delay);
    }
    timers.startSingleTimer(STATUS_TIMER, new RetryStatus(status, attempt), delay);
  }

  private Behavior<Command> onRetryStatus(RetryStatus retry) {
    context.pipeToSelf(java.util.concurrent.CompletableFuture.supplyAsync(
            () -> workflow.writeStatus(retry.status()).isEmpty(), deps.blocking()),
        (written, failure) -> new StatusRetried(retry.status(), retry.attempt(), failure == null && written));
    return Behaviors.same();
  }

  private Behavior<Command> onStatusRetried(StatusRetried retried) {
    if (retried.written()) {
      context.getLog().info("volume {}: status object {} written after {} retries", target,
          retried.status().objectName(), retried.attempt());
    } else {
      retryStatusLater(retried.status(), retried.attempt() + 1);
    }
    return Behaviors.same();
  }

  private Behavior<Command> describe(Describe d, String state, MountedVolume volume) {
    d.replyTo().tell(VolumeView.of(target, state, volume, volume == null ? null : nextRefresh));
    return Behaviors.same();
  }

  private Behavior<Command> becomeIdle() {
    timers.cancel(TIMER);
    nextRefresh = null;
    router.tell(new VolumeRouter.Passivate(target, context.getSelf()));
    return stash.unstashAll(idle());
  }

  private void armTimer() {
    if (deps.settings().rotationEnabled() && deps.settings().rotationTimer()) {
      Duration delay = RefreshPolicy.jittered(deps.settings().rotationInterval(), ThreadLocalRandom.current().nextDouble());
      nextRefresh = Instant.now().plus(delay);
      timers.startSingleTimer(TIMER, new TimerRefresh(), delay);
    }
  }

  private static void reply(ActorRef<StatusReply<Done>> replyTo, StatusReply<Done> reply) {
    if (replyTo != null) {
      replyTo.tell(reply);
    }
  }
}
