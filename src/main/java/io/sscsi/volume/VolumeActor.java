package io.sscsi.volume;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
 * versions, refresh time, the request that produced it) and its SecretProviderClassPodStatus. The
 * {@link VolumeRouter} (its parent) forwards kubelet's publish and unpublish calls for this path;
 * the actor runs them one at a time through {@link PublishWorkflow}, stashing calls that overlap,
 * so two calls can never race on one target. States: idle (nothing mounted by us), mounted, busy.
 * When it becomes idle it asks the router to passivate it. A restart after an unexpected failure
 * keeps the mount (nothing is unmounted in a restart) and relearns the state on the next publish.
 * The timer scheduler is the slot for rotation.
 */
public final class VolumeActor {

  public sealed interface Command {}

  public record Publish(PublishRequest request, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Unpublish(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** From the router: stop if still idle, else tell the router passivation is off. */
  record Stop() implements Command {}

  private record PublishDone(Publish call, MountedVolume volume, Throwable failure) implements Command {}

  private record UnpublishDone(Unpublish call, Throwable failure) implements Command {}

  private static final int STASH_CAPACITY = 1_000;

  private final ActorContext<Command> context;
  private final StashBuffer<Command> stash;
  @SuppressWarnings("unused") // rotation (issue 4) schedules its refresh here
  private final TimerScheduler<Command> timers;
  private final Path target;
  private final PublishWorkflow workflow;
  private final ActorRef<VolumeRouter.Command> router;

  private VolumeActor(ActorContext<Command> context, StashBuffer<Command> stash, TimerScheduler<Command> timers,
      Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router) {
    this.context = context;
    this.stash = stash;
    this.timers = timers;
    this.target = target;
    this.workflow = new PublishWorkflow(deps);
    this.router = router;
  }

  public static Behavior<Command> create(Path target, VolumeDeps deps, ActorRef<VolumeRouter.Command> router) {
    Behavior<Command> behavior = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(
        STASH_CAPACITY, stash -> new VolumeActor(ctx, stash, timers, target, deps, router).idle())));
    return Behaviors.supervise(behavior)
        .onFailure(SupervisorStrategy.restart().withLimit(3, Duration.ofMinutes(1)));
  }

  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessage(Publish.class, call -> startPublish(call, Map.of()))
        .onMessage(Unpublish.class, call -> startUnpublish(call, null))
        .onMessage(Stop.class, stop -> Behaviors.stopped())
        .build();
  }

  private Behavior<Command> mounted(MountedVolume volume) {
    return Behaviors.receive(Command.class)
        .onMessage(Publish.class, call -> {
          call.replyTo().tell(StatusReply.success(Done.getInstance()));
          return Behaviors.same();
        })
        .onMessage(Unpublish.class, call -> startUnpublish(call, volume))
        .onMessage(Stop.class, stop -> {
          router.tell(new VolumeRouter.PassivationCancelled(target, context.getSelf()));
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> busy(MountedVolume previous) {
    return Behaviors.receive(Command.class)
        .onMessage(PublishDone.class, done -> onPublishDone(done, previous))
        .onMessage(UnpublishDone.class, done -> onUnpublishDone(done, previous))
        .onMessage(Command.class, other -> {
          stash.stash(other);
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> startPublish(Publish call, Map<String, String> currentVersions) {
    context.pipeToSelf(workflow.publish(call.request(), currentVersions),
        (volume, failure) -> new PublishDone(call, volume, failure));
    return busy(null);
  }

  private Behavior<Command> startUnpublish(Unpublish call, MountedVolume volume) {
    context.pipeToSelf(workflow.unpublish(target, volume), (ok, failure) -> new UnpublishDone(call, failure));
    return busy(volume);
  }

  private Behavior<Command> onPublishDone(PublishDone done, MountedVolume previous) {
    if (done.failure() != null) {
      done.call().replyTo().tell(StatusReply.error(io.sscsi.errors.DriverException.of(done.failure())));
      return becomeIdleOr(previous);
    }
    context.getLog().info("volume {} published for pod {}/{}: {} files from provider {}", target,
        done.volume().request().podNamespace(), done.volume().request().podName(),
        done.volume().fileCount(), done.volume().provider());
    done.call().replyTo().tell(StatusReply.success(Done.getInstance()));
    return stash.unstashAll(mounted(done.volume()));
  }

  private Behavior<Command> onUnpublishDone(UnpublishDone done, MountedVolume previous) {
    if (done.failure() != null) {
      done.call().replyTo().tell(StatusReply.error(io.sscsi.errors.DriverException.of(done.failure())));
      return becomeIdleOr(previous);
    }
    context.getLog().info("volume {} unpublished", target);
    done.call().replyTo().tell(StatusReply.success(Done.getInstance()));
    return becomeIdleOr(null);
  }

  private Behavior<Command> becomeIdleOr(MountedVolume volume) {
    if (volume != null) {
      return stash.unstashAll(mounted(volume));
    }
    router.tell(new VolumeRouter.Passivate(target, context.getSelf()));
    return stash.unstashAll(idle());
  }
}
