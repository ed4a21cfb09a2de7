package io.sscsi.sync;

import io.sscsi.fs.MountedFiles;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubeEventRecorder;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.k8s.KubeSecretWriter;
import io.sscsi.k8s.SecretOwnerPolicy;
import io.sscsi.k8s.SecretProjection;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClass.SecretObject;
import io.sscsi.pods.PodRef;
import io.sscsi.retry.Backoff;
import io.sscsi.sync.SyncWork.Mount;
import io.sscsi.sync.SyncWork.MountKey;
import io.sscsi.sync.SyncWork.SecretKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns Secret sync on this node as a group: one {@link SyncedSecretActor} child per synced Secret
 * ({@code <namespace>/<secretName>} of the classes' {@code secretObjects}), which owns that Secret's
 * mounting pods, pending owner removals, rounds and retries; this actor owns only which mount feeds
 * which Secrets, the children, and their last reported state. Volume actors talk to it through
 * {@link ActorSecretSync} (Published after a publish or refresh, Unpublished after an unpublish); the
 * admin endpoint's {@code /secrets} asks it (GetStatus) and is answered from the children's reports,
 * a Secret counting as busy from the moment a request is sent to its child until the child reports
 * having handled it. A child that reports no pod, nothing pending and no round or retry after the
 * last request sent to it is stopped (the Secret is forgotten); its next request starts a fresh one.
 * A Secret created or patched counts in {@code sync_k8s_secret_total} and
 * {@code k8s_secret_duration_sec}. A restart (after a bug) loses only this bookkeeping: an
 * Unpublished for an unknown mount still takes the pod's owner off.
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
   * @param busy a request is on its way, a round is running or a retry is scheduled
   * @param failures consecutive rounds that must be retried
   * @param rounds rounds finished
   * @param lastOutcome what the last round's write did (or "FAILED", "NONE")
   */
  public record SecretStatus(int pods, int pendingRemovals, boolean busy, int failures, long rounds,
      String lastOutcome) {}

  private record ChildReport(SyncedSecretActor.Report report) implements Command {}

  private record ChildStopped(SecretKey key, ActorRef<SyncedSecretActor.Command> child) implements Command {}

  /** Retry backoff after a failed round: 1 s, doubling, at most 30 s. */
  public static final Backoff RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2);

  /** A child, the requests sent to it, and its last report. */
  private static final class Child {
    final ActorRef<SyncedSecretActor.Command> ref;
    long sent;
    SyncedSecretActor.Report last;

    Child(ActorRef<SyncedSecretActor.Command> ref) {
      this.ref = ref;
    }

    void tell(SyncedSecretActor.Command request) {
      sent++;
      ref.tell(request);
    }

    SecretStatus status() {
      if (last == null) {
        return new SecretStatus(0, 0, true, 0, 0, "NONE");
      }
      SecretStatus s = last.status();
      return sent > last.handled()
          ? new SecretStatus(s.pods(), s.pendingRemovals(), true, s.failures(), s.rounds(), s.lastOutcome())
          : s;
    }
  }

  private final SyncWork work;
  private final Executor blocking;
  private final Backoff retry;
  private final ActorRef<SyncedSecretActor.Report> reports;
  private final Map<SecretKey, Child> children = new HashMap<>();
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
    return create(new SyncWork(new KubeSecretWriter(connection, statuses, owners),
        new KubeEventRecorder(connection, nodeId), new MountedFiles()), blocking, RETRY);
  }

  static Behavior<Command> create(SyncWork work, Executor blocking, Backoff retry) {
    Behavior<Command> behavior = Behaviors.setup(ctx -> new SecretSyncActor(ctx, work, blocking, retry));
    return Behaviors.supervise(behavior).onFailure(SupervisorStrategy.restart());
  }

  private SecretSyncActor(ActorContext<Command> context, SyncWork work, Executor blocking, Backoff retry) {
    super(context);
    this.work = work;
    this.blocking = blocking;
    this.retry = retry;
    this.reports = context.messageAdapter(SyncedSecretActor.Report.class, ChildReport::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Published.class, this::onPublished)
        .onMessage(Unpublished.class, this::onUnpublished)
        .onMessage(ChildReport.class, this::onChildReport)
        .onMessage(ChildStopped.class, this::onChildStopped)
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
    wanted.forEach((key, so) -> child(key).tell(
        new SyncedSecretActor.Mounted(new Mount(mk, p.pod(), p.spc(), so, p.targetPath(), null))));
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
    child(key).tell(new SyncedSecretActor.Dropped(mk, pod.podStatusName(spc.name())));
  }

  private Child child(SecretKey key) {
    return children.computeIfAbsent(key, k -> {
      ActorRef<SyncedSecretActor.Command> ref = getContext().spawnAnonymous(
          SyncedSecretActor.create(k, work, blocking, retry, reports));
      getContext().watchWith(ref, new ChildStopped(k, ref));
      return new Child(ref);
    });
  }

  private Behavior<Command> onChildReport(ChildReport message) {
    SyncedSecretActor.Report report = message.report();
    Child child = children.get(report.key());
    if (child == null || !child.ref.equals(report.from())) {
      return this; // from a child that failed and was replaced
    }
    child.last = report;
    if (report.forgettable() && report.handled() == child.sent) {
      // Every request sent has been handled and left nothing: forget the Secret.
      children.remove(report.key());
      getContext().unwatch(child.ref);
      getContext().stop(child.ref);
    }
    return this;
  }

  private Behavior<Command> onChildStopped(ChildStopped stopped) {
    Child child = children.get(stopped.key());
    if (child != null && child.ref.equals(stopped.child())) {
      getContext().getLog().warn("Secret {}: its sync state was lost (the child failed); the next publish starts again",
          stopped.key());
      children.remove(stopped.key());
    }
    return this;
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    Map<String, SecretStatus> out = new TreeMap<>();
    children.forEach((key, child) -> out.put(key.toString(), child.status()));
    get.replyTo().tell(Map.copyOf(out));
    return this;
  }
}
