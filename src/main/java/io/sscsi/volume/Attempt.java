package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.fs.ContentDeleted;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.spc.ProviderClass;
import io.sscsi.status.PodStatus;
import io.sscsi.volume.PublishWorkflow.Result;
import io.sscsi.volume.RefreshPolicy.Trigger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;

/**
 * One run of a volume workflow, as its VolumeActor started it. Each kind says what it runs, the
 * state the volume keeps meanwhile and who waits for it, and for each outcome the reply, the metrics,
 * the log lines and where the volume goes next: what a failure means and which metrics count it follow
 * from the kind, never from a nullable field or a test of the kind.
 *
 * @param <T> what its workflow step completes with
 */
sealed interface Attempt<T> {

  /** The state the volume started from; it keeps it while the attempt runs. */
  VolumeState before();

  /** Who waits for the answer: told at once if the actor fails meanwhile. */
  Optional<ActorRef<StatusReply<Done>>> waiting();

  /** Starts the work; its blocking steps run on the blocking dispatcher. */
  CompletionStage<T> run(Volume volume);

  /**
   * The work ended ({@code failure} is null when it succeeded): replies, counts and logs, and returns
   * the volume's next behaviour.
   */
  Behavior<VolumeActor.Command> finish(T value, Throwable failure, Volume volume);

  /** Whether the admin view shows the volume {@code busy} meanwhile; else as {@link #before()}. */
  default boolean showsBusy() {
    return true;
  }

  /** The VolumeActor as its attempts see it: its target, its work, its timers and where it goes next. */
  interface Volume {
    Path target();

    VolumeDeps deps();

    PublishWorkflow workflow();

    Logger log();

    Instant now();

    /** New content is in place: SecretSync is told when it changed; timers are armed (before kubelet hears). */
    void contentIn(Result.Fetched fetched, String how);

    /** Arms the rotation timer (when rotation and the timer are on). */
    void armTimer();

    /** Retries writing {@code status} after the backoff's delay for this retry. */
    void retryStatusLater(PodStatus status, int attempt);

    /** Whether kubelet's republish of this mounted volume asks its provider ({@link RefreshPolicy}). */
    boolean refreshesOnRepublish(MountedVolume volume);

    /** Runs {@code next}; the volume stays busy. */
    Behavior<VolumeActor.Command> start(Attempt<?> next);

    /** Mounted with {@code volume} (its timers as they are); the calls that waited are taken. */
    Behavior<VolumeActor.Command> mounted(MountedVolume volume);

    /** Back in {@code state} with that state's timers; the calls that waited are taken. */
    Behavior<VolumeActor.Command> returnTo(VolumeState state);

    /** Idle: timers cancelled, the router told it can passivate it; the calls that waited are taken. */
    Behavior<VolumeActor.Command> becomeIdle();
  }

  /** The provider's deadline: kubelet's, capped by the call timeout. */
  private static Instant providerDeadline(Instant deadline, Volume volume) {
    Instant cap = volume.now().plus(volume.deps().settings().callTimeout());
    return deadline.isBefore(cap) ? deadline : cap;
  }

  private static StatusReply<Done> ok() {
    return StatusReply.success(Done.getInstance());
  }

  /**
   * kubelet's first publish of the target in this process: on failure everything it did is undone
   * and kubelet gets the error. Upstream's metrics: the call counts as a publish, a success as a
   * mounted volume.
   */
  record FirstPublish(PublishRequest request, Instant deadline, ActorRef<StatusReply<Done>> replyTo)
      implements Attempt<Result> {

    @Override
    public VolumeState before() {
      return VolumeState.IDLE;
    }

    @Override
    public Optional<ActorRef<StatusReply<Done>>> waiting() {
      return Optional.of(replyTo);
    }

    @Override
    public CompletionStage<Result> run(Volume volume) {
      return volume.workflow().run(request, Optional.empty(), providerDeadline(deadline, volume));
    }

    @Override
    public Behavior<VolumeActor.Command> finish(Result result, Throwable failure, Volume volume) {
      return Result.of(result, failure).fold(fetched -> fetched(fetched, volume), failed -> failed(failed, volume));
    }

    private Behavior<VolumeActor.Command> fetched(Result.Fetched fetched, Volume volume) {
      volume.contentIn(fetched, "published");
      DriverMetrics.publishOk(fetched.volume().provider().value());
      DriverMetrics.volumesMounted(1);
      replyTo.tell(ok());
      return volume.mounted(fetched.volume());
    }

    private Behavior<VolumeActor.Command> failed(Result.Failed failed, Volume volume) {
      DriverMetrics.publishError(failed.provider(), failed.error().errorType());
      replyTo.tell(StatusReply.error(failed.error()));
      return volume.becomeIdle();
    }
  }

  /**
   * kubelet's first publish of an adopted volume: its class, provider and nodePublishSecretRef are
   * read; the content stays, and kubelet gets OK even if the class cannot be read now. Once learned,
   * SecretSync is told, as after a first publish, so it owns the volume's Secrets exactly as before
   * the restart; then the republish goes through the same refresh gate as any mounted volume's.
   */
  record Adoption(AdoptedVolume adopted, PublishRequest request, Instant deadline,
      ActorRef<StatusReply<Done>> replyTo) implements Attempt<MountedVolume> {

    @Override
    public VolumeState before() {
      return new VolumeState.Adopted(adopted);
    }

    @Override
    public Optional<ActorRef<StatusReply<Done>>> waiting() {
      return Optional.of(replyTo);
    }

    @Override
    public CompletionStage<MountedVolume> run(Volume volume) {
      return volume.workflow().learn(adopted, request);
    }

    @Override
    public Behavior<VolumeActor.Command> finish(MountedVolume learned, Throwable failure, Volume volume) {
      return failure == null ? learned(learned, volume) : failed(DriverException.of(failure), volume);
    }

    private Behavior<VolumeActor.Command> learned(MountedVolume learned, Volume volume) {
      volume.deps().secretSync().published(learned.spc(), learned.pod(), volume.target());
      volume.log().info("volume {} (adopted at start) republished by kubelet: class {}/{}, provider {}",
          volume.target(), learned.spc().namespace(), learned.spc().name(), learned.provider());
      if (volume.refreshesOnRepublish(learned)) {
        return volume.start(new Refresh(learned, Trigger.REPUBLISH, request, deadline, Optional.of(replyTo),
            System.nanoTime()));
      }
      DriverMetrics.publishOk(learned.provider().value());
      volume.armTimer();
      replyTo.tell(ok());
      return volume.mounted(learned);
    }

    private Behavior<VolumeActor.Command> failed(DriverException error, Volume volume) {
      DriverMetrics.publishError("", error.errorType());
      if (adopted.contentRemoved()) { // nothing mounted to keep: kubelet hears the failure
        volume.log().warn("volume {} (adopted at start, emptied by a failed unpublish): its SecretProviderClass"
            + " could not be read, the volume stays empty: {}", volume.target(), error.getMessage());
        replyTo.tell(StatusReply.error(error));
        return volume.returnTo(new VolumeState.Adopted(adopted.emptiedBy(volume.now(), error.getMessage())));
      }
      volume.log().warn("volume {} (adopted at start): its SecretProviderClass could not be read, the mounted"
          + " content is kept and the next publish tries again: {}", volume.target(), error.getMessage());
      replyTo.tell(ok());
      return volume.returnTo(new VolumeState.Adopted(adopted.withFailure(volume.now(), error.getMessage())));
    }
  }

  /**
   * A refresh of mounted content (kubelet's republish, the timer, a class or Secret change): on
   * failure the old content stays and a waiting kubelet still gets OK (kubernetes#121271). Upstream's
   * semantics: publish and rotation counters only for kubelet's republishes that called the provider;
   * every refresh, whatever its trigger, counts in sscsi_refreshes_total.
   */
  record Refresh(MountedVolume previous, Trigger trigger, PublishRequest request, Instant deadline,
      Optional<ActorRef<StatusReply<Done>>> replyTo, long startNanos) implements Attempt<Result> {

    @Override
    public VolumeState before() {
      return new VolumeState.Mounted(previous);
    }

    @Override
    public Optional<ActorRef<StatusReply<Done>>> waiting() {
      return replyTo;
    }

    @Override
    public CompletionStage<Result> run(Volume volume) {
      return volume.workflow().run(request, Optional.of(previous), providerDeadline(deadline, volume));
    }

    @Override
    public Behavior<VolumeActor.Command> finish(Result result, Throwable failure, Volume volume) {
      return Result.of(result, failure).fold(fetched -> fetched(fetched, volume), failed -> failed(failed, volume));
    }

    private boolean kubeletCall() {
      return trigger == Trigger.REPUBLISH;
    }

    private String triggerLabel() {
      return trigger.name().toLowerCase(Locale.ROOT);
    }

    private Behavior<VolumeActor.Command> fetched(Result.Fetched fetched, Volume volume) {
      String provider = fetched.volume().provider().value();
      DriverMetrics.refresh(provider, triggerLabel(), fetched.contentChanged() ? "changed" : "unchanged");
      if (kubeletCall()) {
        DriverMetrics.publishOk(provider);
        DriverMetrics.rotation(provider, Duration.ofNanos(System.nanoTime() - startNanos));
      }
      volume.contentIn(fetched, "refreshed");
      replyTo.ifPresent(r -> r.tell(ok()));
      return volume.mounted(fetched.volume());
    }

    private Behavior<VolumeActor.Command> failed(Result.Failed failed, Volume volume) {
      String provider = failed.provider().isEmpty() ? previous.provider().value() : failed.provider();
      DriverException error = failed.error();
      DriverMetrics.refresh(provider, triggerLabel(), "error");
      if (kubeletCall()) {
        DriverMetrics.publishError(provider, error.errorType());
        DriverMetrics.rotationError(provider, error.errorType());
      }
      String outcome = previous.contentRemoved() ? "the volume stays empty" : "the mounted content is kept";
      volume.log().warn("volume {}: {} refresh from provider {} failed, {}: {}",
          volume.target(), trigger, provider, outcome, error.getMessage());
      CompletableFuture.runAsync(() -> volume.deps().events().warning(previous.pod(), "MountRotationFailed",
          "refreshing secrets from provider " + provider + " failed, " + outcome + ": " + error.getMessage()),
          volume.deps().blocking());
      if (previous.contentRemoved()) { // nothing old to keep: kubelet hears the failure, never OK on an empty volume
        replyTo.ifPresent(r -> r.tell(StatusReply.error(error)));
        return volume.returnTo(new VolumeState.Mounted(previous.emptiedBy(volume.now(), error.getMessage())));
      }
      replyTo.ifPresent(r -> r.tell(ok())); // kubernetes#121271
      return volume.returnTo(new VolumeState.Mounted(previous.withFailure(volume.now(), error.getMessage())));
    }
  }

  /**
   * kubelet's unpublish, from whatever state the volume was in. On success the volume is idle and
   * Secret sync releases the pod's Secrets; on failure it returns to its state with the error.
   */
  record Unpublish(VolumeState before, ActorRef<StatusReply<Done>> replyTo)
      implements Attempt<Optional<ProviderClass>> {

    @Override
    public Optional<ActorRef<StatusReply<Done>>> waiting() {
      return Optional.of(replyTo);
    }

    @Override
    public CompletionStage<Optional<ProviderClass>> run(Volume volume) {
      return volume.workflow().unpublish(volume.target(), before);
    }

    @Override
    public Behavior<VolumeActor.Command> finish(Optional<ProviderClass> spc, Throwable failure, Volume volume) {
      return failure == null ? removed(spc, volume) : failed(failure, volume);
    }

    /** {@code spc}: the class the volume was mounted from, when known (read for an adopted volume). */
    private Behavior<VolumeActor.Command> removed(Optional<ProviderClass> spc, Volume volume) {
      DriverMetrics.unpublishOk();
      if (before.holdsMount()) {
        DriverMetrics.volumesMounted(-1);
        before.podHoldingSecrets().ifPresent(pod -> spc.ifPresent(c -> volume.deps().secretSync().unpublished(c, pod)));
      }
      volume.log().info("volume {} unpublished", volume.target());
      replyTo.tell(ok());
      return volume.becomeIdle();
    }

    private Behavior<VolumeActor.Command> failed(Throwable failure, Volume volume) {
      Optional<ContentDeleted> emptied = contentDeleted(failure);
      DriverException error = emptied.map(ContentDeleted::error).orElseGet(() -> DriverException.of(failure));
      DriverMetrics.unpublishError();
      replyTo.tell(StatusReply.error(error));
      if (emptied.isPresent() && before.holdsMount()) {
        volume.log().warn("volume {}: unpublish failed after deleting the volume's files; it stays mounted,"
            + " and kubelet's next republish fetches them again: {}", volume.target(), error.getMessage());
        return volume.returnTo(before.emptiedBy(volume.now(), error.getMessage()));
      }
      volume.log().warn("volume {}: unpublish failed, the volume is kept as it was: {}", volume.target(),
          error.getMessage());
      // refused before anything was deleted: shown in /volumes
      return volume.returnTo(before.withFailure(volume.now(), error.getMessage()));
    }

    private static Optional<ContentDeleted> contentDeleted(Throwable failure) {
      for (Throwable t = failure; t != null; t = t.getCause()) {
        if (t instanceof ContentDeleted deleted) {
          return Optional.of(deleted);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * A status object the API server did not take, written again while the volume stays mounted: every
   * other command waits behind the write, so an unpublish's delete or a refresh's newer status always
   * comes after it, never beside it (a write landing after the delete would leave a status object for a
   * volume that is gone). Not written: retried later with backoff ({@link VolumeTime#statusRetry()}).
   * The admin view shows the volume as mounted meanwhile.
   */
  record StatusRetry(MountedVolume volume, PodStatus status, int attempt) implements Attempt<Boolean> {

    @Override
    public VolumeState before() {
      return new VolumeState.Mounted(volume);
    }

    @Override
    public Optional<ActorRef<StatusReply<Done>>> waiting() {
      return Optional.empty();
    }

    @Override
    public boolean showsBusy() {
      return false;
    }

    @Override
    public CompletionStage<Boolean> run(Volume actor) {
      return CompletableFuture.supplyAsync(() -> actor.workflow().writeStatus(status).isEmpty(),
          actor.deps().blocking());
    }

    @Override
    public Behavior<VolumeActor.Command> finish(Boolean written, Throwable failure, Volume actor) {
      if (failure == null && written) {
        actor.log().info("volume {}: status object {} written after {} retries", actor.target(),
            status.objectName(), attempt);
      } else {
        actor.retryStatusLater(status, attempt + 1);
      }
      return actor.mounted(volume);
    }
  }
}
