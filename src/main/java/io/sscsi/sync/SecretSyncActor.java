package io.sscsi.sync;

import io.sscsi.errors.DriverException;
import io.sscsi.fs.MountedFiles;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KnownSecret;
import io.sscsi.k8s.KubeEventRecorder;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.k8s.KubeSecretWriter;
import io.sscsi.k8s.SecretOwner;
import io.sscsi.k8s.SecretOwnerPolicy;
import io.sscsi.k8s.SecretProjection;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClass.SecretObject;
import io.sscsi.sync.SecretSync.PodRef;
import io.sscsi.sync.SyncWork.Mount;
import io.sscsi.sync.SyncWork.MountKey;
import io.sscsi.sync.SyncWork.SecretKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns Secret sync on this node: for every synced Secret ({@code <namespace>/<secretName>} of the
 * classes' {@code secretObjects}), the pods on this node that mount it (in publish order, with
 * their SecretProviderClassPodStatus uid once known) and the owners still to be taken off. Volume
 * actors talk to it through {@link ActorSecretSync} (Published after a publish or refresh,
 * Unpublished after an unpublish). Work on one Secret is serialised (one {@link SyncWork} round at
 * a time, on the blocking executor, via pipeToSelf); requests that arrive meanwhile are coalesced
 * into one further round. A round that hit an API failure, or found a pod's status object missing,
 * is retried on a timer with backoff (first retry, doubling, capped); a Secret that cannot be
 * built is not retried until the next publish. Each Secret's entry keeps the Secret as the last round
 * left it on the server, so a round writes without reading first (and a round with nothing to change
 * makes no request). A Secret created or patched counts in
 * {@code sync_k8s_secret_total} and {@code k8s_secret_duration_sec}. A Secret with no pod and
 * nothing pending is forgotten. A restart (after a bug) loses only this bookkeeping: an Unpublished for an unknown
 * mount still takes the pod's owner off.
 */
public final class SecretSyncActor extends AbstractBehavior<SecretSyncActor.Command> {

  public sealed interface Command {}

  /** {@code pod}'s volume at {@code targetPath} holds content of {@code spc}. */
  public record Published(ProviderClass spc, PodRef pod, Path targetPath) implements Command {}

  /** {@code pod}'s volume of {@code spc} is gone. */
  public record Unpublished(ProviderClass spc, PodRef pod) implements Command {}

  /** Asks for the state of every Secret known, keyed {@code namespace/name} (the admin endpoint's {@code /secrets}). */
  public record GetStatus(ActorRef<Map<String, SecretStatus>> replyTo) implements Command {}

  /**
   * One Secret's sync state.
   *
   * @param pods mounting pods on this node
   * @param pendingRemovals owners still to be taken off
   * @param busy a round is running or a retry is scheduled
   * @param failures consecutive rounds that must be retried
   * @param rounds rounds finished
   * @param lastOutcome what the last round's write did (or "FAILED", "NONE")
   */
  public record SecretStatus(int pods, int pendingRemovals, boolean busy, int failures, long rounds,
      String lastOutcome) {}

  private record RoundDone(SecretKey key, SyncWork.Input input, long startNanos, SyncWork.Result result,
      Throwable failure) implements Command {}

  private record RetryDue(SecretKey key) implements Command {}

  /** Retry backoff: the first delay, doubled per failed round up to {@code maxRetry}. */
  public record Settings(Duration firstRetry, Duration maxRetry) {
    public Settings {
      Objects.requireNonNull(firstRetry, "firstRetry");
      Objects.requireNonNull(maxRetry, "maxRetry");
    }

    /** 1 s, doubling, at most 30 s. */
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    Duration delay(int failures) {
      long millis = firstRetry.toMillis() << Math.min(Math.max(failures - 1, 0), 20);
      return Duration.ofMillis(Math.min(millis, maxRetry.toMillis()));
    }
  }

  private static final class Entry {
    final LinkedHashMap<MountKey, Mount> mounts = new LinkedHashMap<>();
    final Map<String, SecretOwner> gone = new HashMap<>();
    boolean running;
    boolean dirty;
    boolean contentChanged;
    boolean retryPending;
    int failures;
    long rounds;
    String lastOutcome = "NONE";
    /** The Secret as the last round left it on the server: the next write needs no read first. */
    Optional<KnownSecret> known = Optional.empty();
  }

  private final SyncWork work;
  private final Executor blocking;
  private final Settings settings;
  private final TimerScheduler<Command> timers;
  private final Map<SecretKey, Entry> secrets = new HashMap<>();
  private final Map<MountKey, Set<SecretKey>> byMount = new HashMap<>();

  /**
   * The node's sync actor, talking to the API server through {@code connection}; owner uids come from
   * {@code statuses}, the store the volumes write their status objects through; {@code owners} says who
   * owns a synced Secret.
   *
   * @param blocking the blocking dispatcher's executor ({@code Guardian.BLOCKING_DISPATCHER})
   * @param nodeId this node's name, the events' source host
   */
  public static Behavior<Command> create(KubeConnection connection, KubePodStatusStore statuses,
      SecretOwnerPolicy owners, Executor blocking, String nodeId) {
    return create(new SyncWork(new KubeSecretWriter(connection, statuses, owners), new KubeEventRecorder(connection, nodeId),
        new MountedFiles()), blocking, Settings.defaults());
  }

  static Behavior<Command> create(SyncWork work, Executor blocking, Settings settings) {
    Behavior<Command> behavior = Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new SecretSyncActor(ctx, timers, work, blocking, settings)));
    return Behaviors.supervise(behavior).onFailure(SupervisorStrategy.restart());
  }

  private SecretSyncActor(ActorContext<Command> context, TimerScheduler<Command> timers, SyncWork work,
      Executor blocking, Settings settings) {
    super(context);
    this.timers = timers;
    this.work = work;
    this.blocking = blocking;
    this.settings = settings;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Published.class, this::onPublished)
        .onMessage(Unpublished.class, this::onUnpublished)
        .onMessage(RoundDone.class, this::onRoundDone)
        .onMessage(RetryDue.class, this::onRetryDue)
        .onMessage(GetStatus.class, this::onGetStatus)
        .build();
  }

  private Behavior<Command> onPublished(Published p) {
    MountKey mk = MountKey.of(p.pod(), p.spc());
    Map<SecretKey, SecretObject> wanted = new LinkedHashMap<>();
    for (SecretObject so : p.spc().secretObjects()) {
      SecretKey key = new SecretKey(p.spc().namespace(), SecretProjection.secretName(so));
      if (wanted.put(key, so) != null) {
        getContext().getLog().warn("SecretProviderClass {}/{} lists Secret {} more than once; the last entry is used",
            p.spc().namespace(), p.spc().name(), key.name());
      }
    }
    for (SecretKey old : byMount.getOrDefault(mk, Set.of())) {
      if (!wanted.containsKey(old)) {
        drop(old, mk, p.pod(), p.spc());
      }
    }
    String ownerName = p.pod().podStatusName(p.spc().name());
    wanted.forEach((key, so) -> {
      Entry e = secrets.computeIfAbsent(key, k -> new Entry());
      e.mounts.remove(mk);
      e.mounts.put(mk, new Mount(mk, p.pod(), p.spc(), so, p.targetPath(), null));
      e.gone.remove(ownerName);
      e.contentChanged = true;
      kick(key, e);
    });
    if (wanted.isEmpty()) {
      byMount.remove(mk);
    } else {
      byMount.put(mk, Set.copyOf(wanted.keySet()));
    }
    return this;
  }

  private Behavior<Command> onUnpublished(Unpublished u) {
    MountKey mk = MountKey.of(u.pod(), u.spc());
    Set<SecretKey> keys = byMount.remove(mk);
    if (keys == null) {
      // Not known here (e.g. published before a restart): the class says which Secrets it owned.
      keys = u.spc().secretObjects().stream()
          .map(so -> new SecretKey(u.spc().namespace(), SecretProjection.secretName(so)))
          .filter(k -> SecretProjection.validSecretName(k.name()))
          .collect(Collectors.toSet());
    }
    keys.forEach(key -> drop(key, mk, u.pod(), u.spc()));
    return this;
  }

  private void drop(SecretKey key, MountKey mk, PodRef pod, ProviderClass spc) {
    Entry e = secrets.computeIfAbsent(key, k -> new Entry());
    Mount m = e.mounts.remove(mk);
    String ownerName = pod.podStatusName(spc.name());
    e.gone.put(ownerName, new SecretOwner(ownerName, m == null ? null : m.ownerUid()));
    kick(key, e);
  }

  private void kick(SecretKey key, Entry e) {
    e.dirty = true;
    if (e.running) {
      return;
    }
    if (e.retryPending) {
      timers.cancel(key);
      e.retryPending = false;
    }
    startRound(key, e);
  }

  private void startRound(SecretKey key, Entry e) {
    e.running = true;
    e.dirty = false;
    SyncWork.Input input = new SyncWork.Input(key, List.copyOf(e.mounts.values()), Set.copyOf(e.gone.values()),
        e.contentChanged, e.failures == 0, e.known);
    e.contentChanged = false;
    long start = System.nanoTime();
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> work.run(input), blocking),
        (result, failure) -> new RoundDone(key, input, start, result, failure));
  }

  private Behavior<Command> onRoundDone(RoundDone done) {
    SecretKey key = done.key();
    Entry e = secrets.get(key);
    if (e == null) {
      return this;
    }
    e.running = false;
    e.rounds++;
    SyncWork.Result r = done.result();
    if (done.failure() != null) {
      getContext().getLog().error("Secret {}: sync round failed unexpectedly", key, done.failure());
      r = SyncWork.Result.failed(DriverException.of(done.failure()), done.input().known());
    }
    e.known = r.known();
    learnOwners(e, done.input(), r);
    if (r.outcome() == KubeSecretWriter.Outcome.CREATED || r.outcome() == KubeSecretWriter.Outcome.PATCHED) {
      List<Mount> mounts = done.input().mounts();
      String provider = mounts.isEmpty() ? "" : mounts.get(mounts.size() - 1).spc().provider();
      DriverMetrics.secretSynced(provider, Duration.ofNanos(System.nanoTime() - done.startNanos()));
    }
    boolean apiOk = r.apiFailure() == null;
    if (apiOk && r.unresolved() == 0) {
      done.input().gone().forEach(g -> e.gone.remove(g.name(), g));
    }
    report(key, done.input(), r, e);
    if (!apiOk || r.unresolved() > 0) {
      e.failures++;
    } else {
      e.failures = 0;
    }
    if (e.dirty) {
      startRound(key, e);
    } else if (e.failures > 0) {
      Duration delay = settings.delay(e.failures);
      timers.startSingleTimer(key, new RetryDue(key), delay);
      e.retryPending = true;
    } else if (e.mounts.isEmpty() && e.gone.isEmpty()) {
      secrets.remove(key);
    }
    return this;
  }

  /** Keeps the owner uids a round resolved, unless the pod was published again meanwhile. */
  private static void learnOwners(Entry e, SyncWork.Input input, SyncWork.Result r) {
    for (Mount used : input.mounts()) {
      String uid = r.resolved().get(used.key());
      Mount now = e.mounts.get(used.key());
      if (uid != null && now == used && now.ownerUid() == null) {
        e.mounts.put(used.key(), now.withOwnerUid(uid));
      }
    }
  }

  private void report(SecretKey key, SyncWork.Input input, SyncWork.Result r, Entry e) {
    var log = getContext().getLog();
    if (r.outcome() != null) {
      e.lastOutcome = r.outcome().name();
      if (r.outcome().wrote()) {
        log.info("Secret {} {} ({} mounting pods on this node)", key, r.outcome().name().toLowerCase(),
            e.mounts.size());
      } else {
        log.debug("Secret {}: {}", key, r.outcome());
      }
    } else if (r.apiFailure() != null) {
      e.lastOutcome = "FAILED";
    }
    if (r.contentError() != null) {
      if (input.reportContentError()) {
        log.warn("{}", r.contentError());
      } else {
        log.debug("{}", r.contentError());
      }
    }
    if (r.apiFailure() != null) {
      int attempt = e.failures + 1;
      if (attempt == 1 || attempt % 10 == 0) {
        log.warn("Secret {}: {} (attempt {}, retrying)", key, r.apiFailure().getMessage(), attempt);
      } else {
        log.debug("Secret {}: {} (attempt {}, retrying)", key, r.apiFailure().getMessage(), attempt);
      }
    } else if (r.unresolved() > 0) {
      log.debug("Secret {}: waiting for the SecretProviderClassPodStatus of {} pod(s)", key, r.unresolved());
    }
  }

  private Behavior<Command> onRetryDue(RetryDue due) {
    Entry e = secrets.get(due.key());
    if (e != null) {
      e.retryPending = false;
      if (!e.running) {
        startRound(due.key(), e);
      }
    }
    return this;
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    Map<String, SecretStatus> out = new TreeMap<>();
    secrets.forEach((key, e) -> out.put(key.toString(), new SecretStatus(e.mounts.size(), e.gone.size(),
        e.running || e.retryPending || e.dirty, e.failures, e.rounds, e.lastOutcome)));
    get.replyTo().tell(Map.copyOf(out));
    return this;
  }
}
