package io.sscsi.provider;

import io.sscsi.errors.DriverException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * Owns one {@link ProviderPool} per provider. A provider's first call asks it for the pool
 * ({@link Lookup}, through {@link ProviderPools}, which caches the answer): it looks for the socket
 * once (a stat per provider directory, so it runs on the blocking dispatcher), answers
 * PROVIDER_NOT_FOUND when no directory has one (upstream's answer for a provider that is not
 * installed), and otherwise spawns the pool, which from then on finds the socket itself whenever it
 * connects. Pools restart rather than stop, so a pool handed out stays valid. With {@code
 * --provider-health-check} it asks each pool to call its provider's Version RPC every interval and
 * records the results in {@link ProviderHealth} for {@code /readyz}.
 */
public final class ProviderRegistry extends AbstractBehavior<ProviderRegistry.Command> {

  public sealed interface Command {}

  /** The pool of {@code provider}, or PROVIDER_NOT_FOUND. */
  public record Lookup(ProviderName provider, ActorRef<StatusReply<ActorRef<ProviderPool.Command>>> replyTo)
      implements Command {}

  private record HealthTick() implements Command {}

  /** A pool's answer to a health check: empty when its provider answered Version. */
  record HealthResult(ProviderName provider, Optional<String> problem) implements Command {}

  private final ProviderSettings settings;
  private final ProviderHealth health;
  private final Clock clock;
  private final DispatcherSelector poolDispatcher;
  private final Map<ProviderName, ActorRef<ProviderPool.Command>> pools = new HashMap<>();

  /** @param poolDispatcher where the pools and their clients run */
  public static Behavior<Command> create(ProviderSettings settings, ProviderHealth health, Clock clock,
      DispatcherSelector poolDispatcher) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (settings.healthCheckInterval() != null) {
        timers.startTimerWithFixedDelay(new HealthTick(), settings.healthCheckInterval());
      }
      return new ProviderRegistry(ctx, settings, health, clock, poolDispatcher);
    }));
  }

  private ProviderRegistry(ActorContext<Command> context, ProviderSettings settings, ProviderHealth health,
      Clock clock, DispatcherSelector poolDispatcher) {
    super(context);
    this.settings = settings;
    this.health = health;
    this.clock = clock;
    this.poolDispatcher = poolDispatcher;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Lookup.class, this::onLookup)
        .onMessage(HealthTick.class, tick -> {
          pools.values().forEach(pool -> pool.tell(new ProviderPool.CheckHealth(getContext().getSelf())));
          return this;
        })
        .onMessage(HealthResult.class, result -> {
          String name = result.provider().value();
          result.problem().ifPresentOrElse(p -> health.unhealthy(name, p), () -> health.healthy(name));
          getContext().getLog().debug("provider {} health: {}", name, result.problem().orElse("ok"));
          return this;
        })
        .build();
  }

  private Behavior<Command> onLookup(Lookup lookup) {
    ActorRef<ProviderPool.Command> pool = pools.get(lookup.provider());
    if (pool == null) {
      try {
        ProviderSockets.locate(lookup.provider(), settings.socketDirs());
      } catch (DriverException notInstalled) {
        lookup.replyTo().tell(StatusReply.error(notInstalled));
        return this;
      }
      pool = getContext().spawn(ProviderPool.create(lookup.provider(), settings, clock),
          "provider-" + lookup.provider().value(), poolDispatcher);
      pools.put(lookup.provider(), pool);
    }
    lookup.replyTo().tell(StatusReply.success(pool));
    return this;
  }
}
