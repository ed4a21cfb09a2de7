package io.sscsi.volume;

import io.sscsi.volume.RefreshPolicy.Trigger;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * One run of a volume workflow, as its VolumeActor started it. The kind decides what a failure
 * means and which metrics count it, so nothing downstream has to guess from nullable fields.
 */
sealed interface Attempt {

  /**
   * kubelet's first publish of the target in this process: on failure everything it did is undone
   * and kubelet gets the error.
   */
  record FirstPublish(PublishRequest request, Instant deadline, ActorRef<StatusReply<Done>> replyTo)
      implements Attempt {}

  /**
   * kubelet's first publish of an adopted volume: its class, provider and nodePublishSecretRef are
   * read; the content stays, and kubelet gets OK even if the class cannot be read now.
   */
  record Adoption(AdoptedVolume adopted, PublishRequest request, Instant deadline,
      ActorRef<StatusReply<Done>> replyTo) implements Attempt {}

  /**
   * A refresh of mounted content (kubelet's republish, the timer, a class or Secret change): on
   * failure the old content stays and a waiting kubelet still gets OK (kubernetes#121271).
   */
  record Refresh(MountedVolume previous, Trigger trigger, PublishRequest request, Instant deadline,
      Optional<ActorRef<StatusReply<Done>>> replyTo, long startNanos) implements Attempt {}

  /** kubelet's unpublish, from whatever state the volume was in. */
  record Unpublish(VolumeState before, ActorRef<StatusReply<Done>> replyTo) implements Attempt {}
}
