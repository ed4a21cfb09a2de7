package io.sscsi.sync;

import io.sscsi.errors.DriverException;
import io.sscsi.k8s.KnownSecret;
import io.sscsi.k8s.KubeSecretWriter;
import io.sscsi.k8s.SecretOwner;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.retry.Backoff;
import io.sscsi.sync.SyncWork.Mount;
import io.sscsi.sync.SyncWork.MountKey;
import io.sscsi.sync.SyncWork.SecretKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;

/**
 * Owns one synced Secret ({@code <namespace>/<secretName>}): the pods on this node that mount it (in
 * publish order, with their SecretProviderClassPodStatus uid once known), the owners still to be
 * taken off, and the Secret as its last round left it on the server (so a round writes without
 * reading first). Only its parent {@link SecretSyncActor} talks to it (Mounted, Dropped); it reports
 * its state back after every message. Three behaviours: idle (nothing to do), running (one
 * {@link SyncWork} round on the blocking executor, via pipeToSelf; what arrives meanwhile makes one
 * more round), backoff (a round hit an API failure or found a pod's status object missing: a retry
 * on a timer, which any new request overtakes). A Secret that cannot be built is not retried until
 * the next request.
 */
final class SyncedSecretActor {

  sealed interface Command {}

  /** {@code mount}'s pod now holds the content of this Secret's class (publish or refresh). */
  record Mounted(Mount mount) implements Command {}

  /** The pod's volume is gone: its owner {@code ownerName} comes off. */
  record Dropped(MountKey key, String ownerName) implements Command {}

  private record RoundDone(SyncWork.Input input, long startNanos, SyncWork.Result result, Throwable failure)
      implements Command {}

  private enum RetryDue implements Command { INSTANCE }

  /**
   * The Secret's state after its {@code handled}-th Mounted or Dropped.
   *
   * @param forgettable no pod, nothing pending, idle: the parent may stop it
   */
  record Report(SecretKey key, ActorRef<Command> from, SecretSyncActor.SecretStatus status, long handled,
      boolean forgettable) {}

  private final SecretKey key;
  private final SyncWork work;
  private final Executor blocking;
  private final Backoff retry;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActorRef<Report> parent;

  private final LinkedHashMap<MountKey, Mount> mounts = new LinkedHashMap<>();
  private final Map<String, SecretOwner> gone = new HashMap<>();
  private boolean contentChanged;
  private int failures;
  private long rounds;
  private long handled;
  private String lastOutcome = "NONE";
  private Optional<KnownSecret> known = Optional.empty();

  static Behavior<Command> create(SecretKey key, SyncWork work, Executor blocking, Backoff retry,
      ActorRef<Report> parent) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new SyncedSecretActor(key, work, blocking, retry, ctx, timers, parent).idle()));
  }

  private SyncedSecretActor(SecretKey key, SyncWork work, Executor blocking, Backoff retry,
      ActorContext<Command> context, TimerScheduler<Command> timers, ActorRef<Report> parent) {
    this.key = key;
    this.work = work;
    this.blocking = blocking;
    this.retry = retry;
    this.context = context;
    this.timers = timers;
    this.parent = parent;
  }

  /** Nothing to do: a request starts a round. */
  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessage(Mounted.class, m -> {
          apply(m);
          return startRound();
        })
        .onMessage(Dropped.class, d -> {
          apply(d);
          return startRound();
        })
        .build();
  }

  /** A round is under way; {@code dirty}: a request arrived meanwhile, so one more round follows. */
  private Behavior<Command> running(boolean dirty) {
    return Behaviors.receive(Command.class)
        .onMessage(Mounted.class, m -> {
          apply(m);
          return reported(running(true), true);
        })
        .onMessage(Dropped.class, d -> {
          apply(d);
          return reported(running(true), true);
        })
        .onMessage(RoundDone.class, done -> onRoundDone(done, dirty))
        .build();
  }

  /** The last round must be retried: the timer is armed, a request starts the round at once. */
  private Behavior<Command> backoff() {
    return Behaviors.receive(Command.class)
        .onMessage(Mounted.class, m -> {
          timers.cancel(RetryDue.INSTANCE);
          apply(m);
          return startRound();
        })
        .onMessage(Dropped.class, d -> {
          timers.cancel(RetryDue.INSTANCE);
          apply(d);
          return startRound();
        })
        .onMessage(RetryDue.class, due -> startRound())
        .build();
  }

  private void apply(Mounted m) {
    handled++;
    Mount mount = m.mount();
    mounts.remove(mount.key());
    mounts.put(mount.key(), mount);
    gone.remove(mount.ownerName());
    contentChanged = true;
  }

  private void apply(Dropped d) {
    handled++;
    Mount m = mounts.remove(d.key());
    gone.put(d.ownerName(), new SecretOwner(d.ownerName(), m == null ? null : m.ownerUid()));
  }

  private Behavior<Command> startRound() {
    SyncWork.Input input = new SyncWork.Input(key, List.copyOf(mounts.values()), Set.copyOf(gone.values()),
        contentChanged, failures == 0, known);
    contentChanged = false;
    long start = System.nanoTime();
    context.pipeToSelf(CompletableFuture.supplyAsync(() -> work.run(input), blocking),
        (result, failure) -> new RoundDone(input, start, result, failure));
    return reported(running(false), true);
  }

  private Behavior<Command> onRoundDone(RoundDone done, boolean dirty) {
    rounds++;
    SyncWork.Result r = done.result();
    if (done.failure() != null) {
      context.getLog().error("Secret {}: sync round failed unexpectedly", key, done.failure());
      r = SyncWork.Result.failed(DriverException.of(done.failure()), done.input().known());
    }
    known = r.known();
    learnOwners(done.input(), r);
    if (r.outcome() == KubeSecretWriter.Outcome.CREATED || r.outcome() == KubeSecretWriter.Outcome.PATCHED) {
      List<Mount> used = done.input().mounts();
      String provider = used.isEmpty() ? "" : used.get(used.size() - 1).spc().provider();
      DriverMetrics.secretSynced(provider, Duration.ofNanos(System.nanoTime() - done.startNanos()));
    }
    boolean mustRetry = r.apiFailure() != null || r.unresolved() > 0;
    if (!mustRetry) {
      done.input().gone().forEach(g -> gone.remove(g.name(), g));
    }
    log(done.input(), r);
    failures = mustRetry ? failures + 1 : 0;
    if (dirty) {
      return startRound();
    }
    if (failures > 0) {
      timers.startSingleTimer(RetryDue.INSTANCE, RetryDue.INSTANCE, retry.delay(failures));
      return reported(backoff(), true);
    }
    return reported(idle(), false);
  }

  /** Keeps the owner uids a round resolved, unless the pod was published again meanwhile. */
  private void learnOwners(SyncWork.Input input, SyncWork.Result r) {
    for (Mount used : input.mounts()) {
      String uid = r.resolved().get(used.key());
      Mount now = mounts.get(used.key());
      if (uid != null && now == used && now.ownerUid() == null) {
        mounts.put(used.key(), now.withOwnerUid(uid));
      }
    }
  }

  private void log(SyncWork.Input input, SyncWork.Result r) {
    Logger log = context.getLog();
    if (r.outcome() != null) {
      lastOutcome = r.outcome().name();
      if (r.outcome().wrote()) {
        log.info("Secret {} {} ({} mounting pods on this node)", key, r.outcome().name().toLowerCase(),
            mounts.size());
      } else {
        log.debug("Secret {}: {}", key, r.outcome());
      }
    } else if (r.apiFailure() != null) {
      lastOutcome = "FAILED";
    }
    if (r.contentError() != null) {
      if (input.reportContentError()) {
        log.warn("{}", r.contentError());
      } else {
        log.debug("{}", r.contentError());
      }
    }
    if (r.apiFailure() != null) {
      int attempt = failures + 1;
      if (attempt == 1 || attempt % 10 == 0) {
        log.warn("Secret {}: {} (attempt {}, retrying)", key, r.apiFailure().getMessage(), attempt);
      } else {
        log.debug("Secret {}: {} (attempt {}, retrying)", key, r.apiFailure().getMessage(), attempt);
      }
    } else if (r.unresolved() > 0) {
      log.debug("Secret {}: waiting for the SecretProviderClassPodStatus of {} pod(s)", key, r.unresolved());
    }
  }

  /** Tells the parent the state {@code next} starts in, then becomes it. */
  private Behavior<Command> reported(Behavior<Command> next, boolean busy) {
    SecretSyncActor.SecretStatus status = new SecretSyncActor.SecretStatus(mounts.size(), gone.size(), busy,
        failures, rounds, lastOutcome);
    boolean forgettable = !busy && mounts.isEmpty() && gone.isEmpty();
    parent.tell(new Report(key, context.getSelf(), status, handled, forgettable));
    return next;
  }
}
