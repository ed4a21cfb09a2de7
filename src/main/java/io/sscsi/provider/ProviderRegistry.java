package io.sscsi.provider;

import io.sscsi.errors.DriverException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * Owns one {@link ProviderPool} per provider name and the mapping name to socket. VolumeActors (via
 * their publish workflow) send it {@link Mount}; it checks the name, finds the socket in the
 * provider directories on every call (a stat, so it runs on the blocking dispatcher), and forwards
 * to the pool. When a provider's socket moves to another directory, the old pool is stopped and a
 * new one dials the new path: no driver restart needed. With {@code --provider-health-check} it asks
 * each pool to call its provider's Version RPC every interval and records the results in
 * {@link ProviderHealth} for {@code /readyz}.
 */
public final class ProviderRegistry extends AbstractBehavior<ProviderRegistry.Command> {

  public sealed interface Command {}

  /** Fetch content from {@code provider}; the reply is a {@link ProviderMountResult} or a DriverException. */
  public record Mount(
      String provider, ProviderMountRequest request, ActorRef<StatusReply<ProviderMountResult>> replyTo)
      implements Command {}

  private record PoolStopped(String provider, ActorRef<ProviderPool.Command> pool) implements Command {}

  private record HealthTick() implements Command {}

  /** A pool's answer to a health check: empty when its provider answered Version. */
  record HealthResult(String provider, java.util.Optional<String> problem) implements Command {}

  private record Pool(Path socket, ActorRef<ProviderPool.Command> ref) {}

  private final ProviderSettings settings;
  private final ProviderHealth health;
  private final Map<String, Pool> pools = new HashMap<>();
  private long spawned;

  public static Behavior<Command> create(ProviderSettings settings, ProviderHealth health) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (settings.healthCheckInterval() != null) {
        timers.startTimerWithFixedDelay(new HealthTick(), settings.healthCheckInterval());
      }
      return new ProviderRegistry(ctx, settings, health);
    }));
  }

  private ProviderRegistry(ActorContext<Command> context, ProviderSettings settings, ProviderHealth health) {
    super(context);
    this.settings = settings;
    this.health = health;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Mount.class, this::onMount)
        .onMessage(PoolStopped.class, this::onPoolStopped)
        .onMessage(HealthTick.class, tick -> {
          pools.values().forEach(pool -> pool.ref().tell(new ProviderPool.CheckHealth(getContext().getSelf())));
          return this;
        })
        .onMessage(HealthResult.class, result -> {
          if (pools.containsKey(result.provider())) {
            result.problem().ifPresentOrElse(p -> health.unhealthy(result.provider(), p),
                () -> health.healthy(result.provider()));
            getContext().getLog().debug("provider {} health: {}", result.provider(), result.problem().orElse("ok"));
          }
          return this;
        })
        .build();
  }

  private Behavior<Command> onMount(Mount mount) {
    Path socket;
    try {
      socket = ProviderSockets.locate(mount.provider(), settings.socketDirs());
    } catch (DriverException e) {
      mount.replyTo().tell(StatusReply.error(e));
      return this;
    }
    poolFor(mount.provider(), socket).tell(new ProviderPool.Call(mount.request(), mount.replyTo()));
    return this;
  }

  private ActorRef<ProviderPool.Command> poolFor(String provider, Path socket) {
    Pool pool = pools.get(provider);
    if (pool != null && pool.socket().equals(socket)) {
      return pool.ref();
    }
    if (pool != null) {
      getContext().getLog().info("provider {} socket moved to {}: reconnecting", provider, socket);
      getContext().stop(pool.ref());
    }
    ActorRef<ProviderPool.Command> ref =
        getContext().spawn(
            ProviderPool.create(provider, socket, settings), "provider-" + provider + "-" + (++spawned));
    getContext().watchWith(ref, new PoolStopped(provider, ref));
    pools.put(provider, new Pool(socket, ref));
    return ref;
  }

  private Behavior<Command> onPoolStopped(PoolStopped stopped) {
    Pool pool = pools.get(stopped.provider());
    if (pool != null && pool.ref().equals(stopped.pool())) {
      pools.remove(stopped.provider());
      health.forget(stopped.provider());
    }
    return this;
  }
}
