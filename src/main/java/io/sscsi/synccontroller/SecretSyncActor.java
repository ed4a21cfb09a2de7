package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Secret;
import io.sscsi.metrics.SyncControllerMetrics;
import io.sscsi.synccontroller.model.SecretSync;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns one SecretSync: its latest spec, its resync timer, its backoff after failures, what it last
 * applied to the Secret (for self-healing) and the state {@code GET /secretsyncs} shows. The
 * {@link SecretSyncGroup} (its parent) tells it of changes to its SecretSync, to the class it names
 * and to its Secret, and hands out the sync slots that bound how many syncs run at once. A sync runs
 * ({@link SyncRun}, on the blocking dispatcher) on create, on every generation change (spec edits,
 * {@code forceSynchronization}), on a class change, on its timer and after a failure by backoff; a
 * trigger during a run runs once more after it. A Secret deleted or edited by hand is re-applied
 * from what was last applied, without a provider call. With {@code sscsi.io/retain-on-delete} it
 * holds the finalizer and, when the SecretSync is deleted, removes the Secret's ownerReference
 * before letting the SecretSync go. Runs never overlap, so no two writes of one Secret race.
 */
public final class SecretSyncActor extends AbstractBehavior<SecretSyncActor.Command> {

  public sealed interface Command {}

  /** The SecretSync as the watch last saw it (added or updated). */
  public record Changed(SecretSync sync) implements Command {}

  /**
   * The class this SecretSync names was created or edited ({@code now}: the class as it is now), or
   * deleted ({@code now} empty; also when it is not known).
   */
  public record ClassChanged(Optional<ClassRef> now) implements Command {}

  /** The Secret as the watch saw it; empty when it was deleted (or lost the managed label). */
  public record SecretObserved(Optional<Secret> secret) implements Command {}

  public record Describe(ActorRef<SyncView> replyTo) implements Command {}

  /** From the group: a sync slot is free for this actor. */
  record Permit() implements Command {}

  private record Tick(String why) implements Command {}

  /** A sync of {@code ranOn} (the object as it was when the run started) ended. */
  private record RunDone(SecretSync ranOn, SyncRun.Result result) implements Command {}

  private record RestoreDone(Optional<Throwable> failure) implements Command {}

  private record HousekeepingDone(String what, Optional<Throwable> failure) implements Command {}

  private static final Object TIMER = "sync";

  private final SyncDeps deps;
  private final ActorRef<SecretSyncGroup.Command> group;
  private final TimerScheduler<Command> timers;
  private SecretSync sync;
  private SyncRun.Known known;
  private boolean waiting;
  private boolean running;
  private boolean again;
  private boolean releasing;
  private int failures;
  private Instant lastAttempt;
  private Instant lastSuccess;
  private Instant nextSync;
  private SyncFailure lastFailure;
  private long syncs;
  private long writes;
  private long restores;
  /** The class the last sync read (empty: it read none): a class event that brings the same content syncs nothing. */
  private Optional<ClassRef> lastRead = Optional.empty();
  /** The last class event while a sync ran, judged against what that sync read when it is done. */
  private Optional<ClassRef> classSeenDuringRun = Optional.empty();
  /** The Secret's last state seen while a sync was waiting or running. */
  private Optional<SecretObserved> observedDuringRun = Optional.empty();

  public static Behavior<Command> create(SecretSync sync, SyncDeps deps, ActorRef<SecretSyncGroup.Command> group) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new SecretSyncActor(ctx, timers, sync, deps, group)));
  }

  private SecretSyncActor(ActorContext<Command> context, TimerScheduler<Command> timers, SecretSync sync,
      SyncDeps deps, ActorRef<SecretSyncGroup.Command> group) {
    super(context);
    this.timers = timers;
    this.deps = deps;
    this.group = group;
    this.sync = sync;
    // After a restart of the controller the status tells the last good hash; the Secret is read once.
    var status = sync.getStatus();
    this.known = new SyncRun.Known(Optional.ofNullable(status == null ? null : status.syncHash()),
        SyncStatus.lastFailed(status), Optional.empty());
    SyncAnnotations.problem(sync).ifPresent(p -> context.getLog().warn("SecretSync {}: {}", SyncKey.of(sync), p));
    context.getSelf().tell(new Changed(sync));
    want("created");
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Changed.class, this::onChanged)
        .onMessage(ClassChanged.class, this::onClassChanged)
        .onMessage(SecretObserved.class, this::onSecret)
        .onMessage(Tick.class, t -> want(t.why()))
        .onMessage(Permit.class, p -> startRun())
        .onMessage(RunDone.class, this::onRunDone)
        .onMessage(RestoreDone.class, this::onRestored)
        .onMessage(HousekeepingDone.class, this::onHousekeeping)
        .onMessage(Describe.class, d -> {
          d.replyTo().tell(view());
          return this;
        })
        .onSignal(PostStop.class, s -> stopped())
        .onSignal(PreRestart.class, s -> stopped())
        .build();
  }

  private Behavior<Command> onChanged(Changed changed) {
    SecretSync before = sync;
    sync = changed.sync();
    if (sync.getMetadata().getDeletionTimestamp() != null) {
      timers.cancel(TIMER);
      if (SyncAnnotations.hasRetainFinalizer(sync) && !releasing) {
        releasing = true;
        SecretSync doomed = sync;
        housekeeping("release", () -> {
          deps.api().release(doomed);
          deps.api().retainFinalizer(doomed, false);
        });
      }
      return this;
    }
    boolean retain = SyncAnnotations.retainOnDelete(sync);
    if (retain != SyncAnnotations.hasRetainFinalizer(sync)) {
      SecretSync current = sync;
      housekeeping(retain ? "add finalizer" : "remove finalizer", () -> deps.api().retainFinalizer(current, retain));
    }
    // The spec itself is compared: on a real API server the generation moves with it, fabric8's mock
    // also moves it on status writes.
    if (!Objects.equals(before.getSpec(), sync.getSpec())) {
      return want("spec changed");
    }
    if (!Objects.equals(SyncAnnotations.refreshInterval(before), SyncAnnotations.refreshInterval(sync))
        && !running && !waiting) {
      scheduleAfterSuccess();
    }
    return this;
  }

  /**
   * A class event syncs again unless it brings the content the last sync already read (the watch's first
   * event for a class can arrive after a sync read the class itself; a sync that failed for another reason,
   * a provider down, keeps its backoff). While a sync runs, the event waits for that sync's end; a
   * deletion, or a class not known, always syncs again.
   */
  private Behavior<Command> onClassChanged(ClassChanged changed) {
    if (running && changed.now().isPresent()) {
      classSeenDuringRun = changed.now();
      return this;
    }
    if (changed.now().isPresent() && lastRead.isPresent() && lastRead.get().sameContentAs(changed.now().get())) {
      return this;
    }
    return want("class changed");
  }

  private Behavior<Command> onSecret(SecretObserved observed) {
    Optional<Secret> applied = known.applied();
    if (running || waiting) {
      observedDuringRun = Optional.of(observed); // checked against what the run leaves applied
      return this;
    }
    if (applied.isEmpty() || releasing || sync.getMetadata().getDeletionTimestamp() != null) {
      return this;
    }
    if (OwnedSecret.drifted(observed.secret().orElse(null), applied.get())) {
      getContext().getLog().info("Secret {} was {} by someone else: restoring it", SyncKey.of(sync),
          observed.secret().isEmpty() ? "deleted" : "changed");
      Secret restore = applied.get();
      running = true;
      CompletableFuture.runAsync(() -> deps.api().apply(restore), deps.blocking())
          .whenComplete((ok, e) -> getContext().getSelf().tell(new RestoreDone(Optional.ofNullable(e))));
    }
    return this;
  }

  private Behavior<Command> onRestored(RestoreDone done) {
    running = false;
    observedDuringRun = Optional.empty(); // the restore wrote what was applied; later events are checked anew
    if (done.failure().isPresent()) {
      getContext().getLog().warn("Secret {} could not be restored: {}", SyncKey.of(sync),
          describe(done.failure().get()));
      return want("restore failed");
    }
    restores++;
    writes++;
    SyncControllerMetrics.secretWritten("restore");
    return again ? want("triggered during restore") : this;
  }

  private Behavior<Command> want(String why) {
    if (releasing) {
      return this;
    }
    if (running) {
      again = true;
      return this;
    }
    if (!waiting) {
      waiting = true;
      timers.cancel(TIMER);
      getContext().getLog().debug("SecretSync {}: sync wanted ({})", SyncKey.of(sync), why);
      group.tell(new SecretSyncGroup.WantsToRun(getContext().getSelf(), lane()));
    }
    return this;
  }

  /** The provider this object's class names, as the class watch has it; its sync slot lane. */
  private String lane() {
    String className = sync.getSpec() == null ? null : sync.getSpec().secretProviderClassName();
    if (className == null || className.isBlank()) {
      return "";
    }
    String provider = deps.providerOf().apply(sync.getMetadata().getNamespace() + "/" + className);
    return provider == null ? "" : provider;
  }

  private Behavior<Command> startRun() {
    if (!waiting || running) {
      group.tell(new SecretSyncGroup.RunFinished(getContext().getSelf()));
      return this;
    }
    waiting = false;
    running = true;
    again = false;
    lastAttempt = deps.clock().instant();
    SecretSync current = sync;
    SyncRun.Known k = known;
    CompletableFuture.supplyAsync(() -> deps.run().run(current, k), deps.blocking())
        .whenComplete((result, e) -> getContext().getSelf().tell(new RunDone(current, result != null ? result
            : new SyncRun.Result(new SyncStatus.Failed(SyncFailure.of(SyncFailure.SYNC_ERROR, e)), null,
                k.applied(), false, false, Optional.empty(), Optional.empty()))));
    return this;
  }

  private Behavior<Command> onRunDone(RunDone done) {
    running = false;
    syncs++;
    group.tell(new SecretSyncGroup.RunFinished(getContext().getSelf()));
    SyncRun.Result r = done.result();
    Optional<ClassRef> classSeen = classSeenDuringRun;
    classSeenDuringRun = Optional.empty();
    lastRead = r.classUsed();
    if (classSeen.isPresent() && (lastRead.isEmpty() || !lastRead.get().sameContentAs(classSeen.get()))) {
      again = true;
    }
    if (r.wrote()) {
      writes++;
      SyncControllerMetrics.secretWritten("sync");
    }
    if (r.status() != null) {
      // The server's answer to a status write locked to the run's version is that object at its new
      // version: kept, so the next status write needs no read (unless the watch delivered a change
      // during the run: then the watch's object stays, and its next event brings the version).
      if (sync == done.ranOn() && r.written().isPresent()) {
        sync = r.written().get();
      } else {
        sync.setStatus(r.status());
      }
    }
    if (r.outcome() instanceof SyncStatus.Synced s) {
      known = new SyncRun.Known(Optional.of(s.hash()), false, r.applied());
      SyncControllerMetrics.sync(r.wrote() ? "written" : "unchanged", null);
      if (failures > 0) {
        SyncControllerMetrics.failing(-1);
      }
      failures = 0;
      lastFailure = null;
      lastSuccess = lastAttempt;
      if (again) {
        return want("triggered during the sync");
      }
      scheduleAfterSuccess();
      Optional<SecretObserved> seen = observedDuringRun;
      observedDuringRun = Optional.empty();
      seen.ifPresent(this::onSecret);
    } else {
      SyncFailure f = ((SyncStatus.Failed) r.outcome()).failure();
      known = new SyncRun.Known(known.hash(), true, r.applied());
      SyncControllerMetrics.sync("error", f.reason());
      if (failures == 0) {
        SyncControllerMetrics.failing(1);
      }
      failures++;
      lastFailure = f;
      getContext().getLog().warn("SecretSync {}: sync failed ({}, code {}): {}; attempt {}", SyncKey.of(sync),
          f.reason(), f.code(), f.message(), failures);
      if (again) {
        return want("triggered during the sync");
      }
      schedule(deps.timing().afterFailure(failures), "retry");
    }
    return this;
  }

  private void scheduleAfterSuccess() {
    Duration interval = SyncAnnotations.interval(sync, deps.globalInterval());
    deps.timing().afterSuccess(interval).ifPresentOrElse(d -> schedule(d, "resync"), () -> {
      timers.cancel(TIMER);
      nextSync = null;
    });
  }

  private void schedule(Duration delay, String why) {
    nextSync = deps.clock().instant().plus(delay);
    timers.startSingleTimer(TIMER, new Tick(why), delay);
  }

  private void housekeeping(String what, Runnable work) {
    CompletableFuture.runAsync(work, deps.blocking())
        .whenComplete((ok, e) -> getContext().getSelf().tell(new HousekeepingDone(what, Optional.ofNullable(e))));
  }

  private Behavior<Command> onHousekeeping(HousekeepingDone done) {
    if (done.failure().isPresent()) {
      getContext().getLog().warn("SecretSync {}: could not {}: {}", SyncKey.of(sync), done.what(),
          describe(done.failure().get()));
      if (done.what().equals("release")) {
        releasing = false; // the next watch event (or resync of the informer) tries again
      }
    } else if (done.what().equals("release")) {
      getContext().getLog().info("SecretSync {} deleted with {}: its Secret is kept without the ownerReference",
          SyncKey.of(sync), SyncAnnotations.RETAIN_ON_DELETE);
    }
    return this;
  }

  /** Stopped (its SecretSync deleted) or restarted by its supervisor: it no longer counts as failing. */
  private Behavior<Command> stopped() {
    if (failures > 0) {
      SyncControllerMetrics.failing(-1);
      failures = 0;
    }
    return this;
  }

  private static String describe(Throwable e) {
    Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    return t instanceof SyncFailure.Failed f ? f.failure().reason() + ": " + f.failure().message()
        : t.getClass().getSimpleName();
  }

  private SyncView view() {
    String state = releasing ? "releasing" : running ? "syncing" : waiting ? "waiting" : "idle";
    List<String> keys = known.applied().map(s -> List.copyOf(s.getData().keySet())).orElse(List.of());
    return new SyncView(sync.getMetadata().getNamespace(), sync.getMetadata().getName(),
        sync.getSpec() == null ? null : sync.getSpec().secretProviderClassName(), state, keys,
        known.hash().orElse(null), lastAttempt, lastSuccess, nextSync, failures,
        lastFailure == null ? null : new SyncView.LastError(lastFailure.reason(), lastFailure.code(),
            lastFailure.message()),
        syncs, writes, restores);
  }
}
