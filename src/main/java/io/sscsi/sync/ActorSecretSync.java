package io.sscsi.sync;

import io.sscsi.Guardian;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.SecretSync;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * {@link SecretSync} for volume actors: each call is one message to the node's
 * {@link SecretSyncActor}, so it returns at once and never fails the caller.
 */
public final class ActorSecretSync implements SecretSync {

  private final ActorRef<SecretSyncActor.Command> actor;

  public ActorSecretSync(ActorRef<SecretSyncActor.Command> actor) {
    this.actor = Objects.requireNonNull(actor, "actor");
  }

  /**
   * Spawns the node's sync actor as child {@code secret-sync} of {@code parent} and returns the
   * SecretSync that talks to it.
   *
   * @param blocking the blocking dispatcher's executor
   * @param nodeId this node's name (events' source host)
   */
  public static SecretSync spawn(ActorContext<?> parent, KubeConnection connection, Executor blocking,
      String nodeId) {
    return new ActorSecretSync(parent.spawn(SecretSyncActor.create(connection, blocking, nodeId), "secret-sync"));
  }

  /**
   * What the guardian runs to get the node's SecretSync once it has a context: {@link #spawn} with
   * the executor of {@link Guardian#BLOCKING_DISPATCHER}.
   */
  public static Function<ActorContext<?>, SecretSync> starter(KubeConnection connection, String nodeId) {
    Objects.requireNonNull(connection, "connection");
    return parent -> spawn(parent, connection,
        parent.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Guardian.BLOCKING_DISPATCHER)), nodeId);
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
