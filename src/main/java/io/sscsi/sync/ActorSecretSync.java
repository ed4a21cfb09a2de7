package io.sscsi.sync;

import io.sscsi.pods.PodRef;
import io.sscsi.spc.ProviderClass;
import java.nio.file.Path;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * {@link SecretSync} for volume actors: each call is one message to the node's
 * {@link SecretSyncActor}, so it returns at once and never fails the caller.
 */
public final class ActorSecretSync implements SecretSync {

  private final ActorRef<SecretSyncActor.Command> actor;

  public ActorSecretSync(ActorRef<SecretSyncActor.Command> actor) {
    this.actor = Objects.requireNonNull(actor, "actor");
  }

  @Override
  public void published(ProviderClass spc, PodRef pod, Path targetPath) {
    actor.tell(new SecretSyncActor.Published(spc, pod, targetPath));
  }

  @Override
  public void unpublished(ProviderClass spc, PodRef pod) {
    actor.tell(new SecretSyncActor.Unpublished(spc, pod));
  }
}
