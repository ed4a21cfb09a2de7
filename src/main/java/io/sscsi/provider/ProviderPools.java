package io.sscsi.provider;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * {@link ProviderCalls} for the driver: a call goes straight to its provider's {@link ProviderPool};
 * the {@link ProviderRegistry} is asked only for a provider's first call, and the pool it hands out
 * is kept here. The ask's timeout is the call's own deadline plus a second, a safety net only: the
 * pool answers every call by its deadline.
 */
public final class ProviderPools implements ProviderCalls {
  private static final Duration SAFETY_NET = Duration.ofSeconds(1);
  /** Runs a continuation on the thread that completed the stage (each continuation names its executor). */
  public static final Executor SAME_THREAD = Runnable::run;

  private final ActorRef<ProviderRegistry.Command> registry;
  private final Scheduler scheduler;
  private final Clock clock;
  private final ConcurrentHashMap<ProviderName, ActorRef<ProviderPool.Command>> pools = new ConcurrentHashMap<>();

  public ProviderPools(ActorRef<ProviderRegistry.Command> registry, Scheduler scheduler, Clock clock) {
    this.registry = registry;
    this.scheduler = scheduler;
    this.clock = clock;
  }

  @Override
  public CompletableFuture<ProviderMountResult> mount(ProviderName provider, ProviderMountRequest request,
      Instant deadline) {
    ActorRef<ProviderPool.Command> pool = pools.get(provider);
    if (pool != null) {
      return call(pool, request, deadline);
    }
    return plain(AskPattern.<ProviderRegistry.Command, ActorRef<ProviderPool.Command>>askWithStatus(registry,
            replyTo -> new ProviderRegistry.Lookup(provider, replyTo), untilDeadline(deadline), scheduler))
        .thenCompose(found -> call(pools.computeIfAbsent(provider, p -> found), request, deadline));
  }

  private CompletableFuture<ProviderMountResult> call(ActorRef<ProviderPool.Command> pool,
      ProviderMountRequest request, Instant deadline) {
    return plain(AskPattern.askWithStatus(pool, replyTo -> new ProviderPool.Call(request, deadline, replyTo),
        untilDeadline(deadline).plus(SAFETY_NET), scheduler));
  }

  private Duration untilDeadline(Instant deadline) {
    Duration left = Duration.between(clock.instant(), deadline);
    return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
  }

  /**
   * A JDK future completed on the thread that answered. Pekko's javadsl ask returns Scala's
   * CompletableFuture, whose non-async callbacks run on the common pool: one thread hop per callback.
   */
  static <T> CompletableFuture<T> plain(CompletionStage<T> asked) {
    CompletableFuture<T> plain = new CompletableFuture<>();
    asked.whenCompleteAsync((value, failure) -> {
      if (failure != null) {
        plain.completeExceptionally(failure);
      } else {
        plain.complete(value);
      }
    }, SAME_THREAD);
    return plain;
  }
}
