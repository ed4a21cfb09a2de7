package io.sscsi.provider;

import io.sscsi.fs.PayloadRules;
import io.sscsi.provider.v1alpha1.MountResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import scala.concurrent.ExecutionContext;

/**
 * {@link ProviderCalls} for the driver: a call goes straight to its provider's {@link ProviderPool}
 * as one message carrying the future the pool completes (no ask, no temporary actor); the
 * {@link ProviderRegistry} is asked only for a provider's first call, and the pool it hands out is
 * kept here. The provider's response is checked ({@link ResponseCheck}: error code, versions, the
 * payload rules, up to 4 MiB copied) on {@code checks}, the blocking dispatcher, so a large answer
 * never stalls the core thread. A timer at the call's deadline plus a second is a safety net only:
 * the pool answers every call by its deadline.
 */
public final class ProviderPools implements ProviderCalls {
  private static final Duration SAFETY_NET = Duration.ofSeconds(1);
  /** Runs a continuation on the thread that completed the stage (each continuation names its executor). */
  public static final Executor SAME_THREAD = Runnable::run;

  /** Turns a provider's response into the result, or throws DriverException (the payload rules run here). */
  @FunctionalInterface
  interface ResponseCheck {
    ProviderMountResult check(String provider, MountResponse response);
  }

  private final ActorRef<ProviderRegistry.Command> registry;
  private final Scheduler scheduler;
  private final Clock clock;
  private final Executor checks;
  private final ResponseCheck check;
  private final ConcurrentHashMap<ProviderName, ActorRef<ProviderPool.Command>> pools = new ConcurrentHashMap<>();

  /** Checks responses with {@link ProviderResponses#check} under {@code policy}, on {@code checks}. */
  public ProviderPools(ActorRef<ProviderRegistry.Command> registry, Scheduler scheduler, Clock clock,
      Executor checks, PayloadRules.Policy policy) {
    this(registry, scheduler, clock, checks, (name, response) -> ProviderResponses.check(name, response, policy));
  }

  ProviderPools(ActorRef<ProviderRegistry.Command> registry, Scheduler scheduler, Clock clock, Executor checks,
      ResponseCheck check) {
    this.registry = registry;
    this.scheduler = scheduler;
    this.clock = clock;
    this.checks = checks;
    this.check = check;
  }

  @Override
  public CompletableFuture<ProviderMountResult> mount(ProviderName provider, ProviderMountRequest request,
      Instant deadline) {
    CompletableFuture<MountResponse> answer = new CompletableFuture<>();
    ActorRef<ProviderPool.Command> pool = pools.get(provider);
    if (pool != null) {
      call(pool, request, deadline, answer);
    } else {
      AskPattern.<ProviderRegistry.Command, ActorRef<ProviderPool.Command>>askWithStatus(registry,
              replyTo -> new ProviderRegistry.Lookup(provider, replyTo), untilDeadline(deadline), scheduler)
          .whenComplete((found, failure) -> {
            if (failure != null) {
              answer.completeExceptionally(failure);
            } else {
              call(pools.computeIfAbsent(provider, p -> found), request, deadline, answer);
            }
          });
    }
    return checked(provider, answer);
  }

  private void call(ActorRef<ProviderPool.Command> pool, ProviderMountRequest request, Instant deadline,
      CompletableFuture<MountResponse> answer) {
    Cancellable safetyNet = scheduler.scheduleOnce(untilDeadline(deadline).plus(SAFETY_NET),
        () -> answer.completeExceptionally(new TimeoutException("the provider pool did not answer")),
        ExecutionContext.parasitic$.MODULE$);
    answer.whenComplete((response, failure) -> safetyNet.cancel());
    pool.tell(new ProviderPool.Call(request, deadline, answer));
  }

  /** The checked result, always completed on {@code checks} (failures too: callers continue there). */
  CompletableFuture<ProviderMountResult> checked(ProviderName provider, CompletableFuture<MountResponse> answer) {
    return answer.handleAsync((response, failure) -> {
      if (failure != null) {
        throw failure instanceof java.util.concurrent.CompletionException ce ? ce
            : new java.util.concurrent.CompletionException(failure);
      }
      return check.check(provider.value(), response);
    }, checks);
  }

  private Duration untilDeadline(Instant deadline) {
    Duration left = Duration.between(clock.instant(), deadline);
    return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
  }
}
