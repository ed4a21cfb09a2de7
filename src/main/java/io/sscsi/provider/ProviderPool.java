package io.sscsi.provider;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.grpc.UnixChannels;
import io.sscsi.metrics.DriverMetrics;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.CircuitBreaker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * Owns one provider's gRPC channel (a unix socket) and the backpressure in front of it: {@code
 * maxInFlight} {@link ProviderClient} workers share the channel, each running one call at a time;
 * calls beyond that wait in a FIFO queue of at most {@code maxQueued}; a call arriving at a full
 * queue is refused at once with RESOURCE_EXHAUSTED, which kubelet treats as retryable. The deadline
 * of a call starts when it arrives here, so time spent queued counts against it. A circuit breaker
 * (pekko's) opens after consecutive UNAVAILABLE or DEADLINE_EXCEEDED calls: a dead or hung provider
 * then costs one fast UNAVAILABLE per call instead of a pile of calls waiting for their deadline,
 * until a trial call succeeds. Other providers have their own pools and are unaffected. Talks to: the
 * {@link ProviderRegistry} (its parent, which sends {@link Call}) and its workers.
 */
public final class ProviderPool extends AbstractBehavior<ProviderPool.Command> {
  private static final Logger LOG = LoggerFactory.getLogger(ProviderPool.class);

  public sealed interface Command {}

  public record Call(ProviderMountRequest request, ActorRef<StatusReply<ProviderMountResult>> replyTo)
      implements Command {}

  record WorkerIdle(ActorRef<ProviderClient.Command> worker) implements Command {}

  /** Call the provider's Version RPC (5 s deadline) and report to {@code replyTo}. */
  record CheckHealth(ActorRef<ProviderRegistry.Command> replyTo) implements Command {}

  /** A call with its absolute deadline ({@link System#nanoTime()} based). */
  record Pending(Call call, long deadlineNanos) {}

  private final String provider;
  private final ProviderSettings settings;
  private final ManagedChannel channel;
  private final CircuitBreaker breaker;
  private final ArrayDeque<ActorRef<ProviderClient.Command>> idle = new ArrayDeque<>();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();

  public static Behavior<Command> create(String provider, Path socket, ProviderSettings settings) {
    return Behaviors.setup(ctx -> new ProviderPool(ctx, provider, socket, settings));
  }

  private ProviderPool(ActorContext<Command> context, String provider, Path socket, ProviderSettings settings) {
    super(context);
    this.provider = provider;
    this.settings = settings;
    this.channel =
        UnixChannels.builder(socket)
            .overrideAuthority("localhost")
            .maxInboundMessageSize(settings.maxReceiveBytes())
            .defaultServiceConfig(retryOnUnavailable())
            .enableRetry()
            .build();
    this.breaker = CircuitBreaker.create(Adapter.toClassic(context.getSystem()).scheduler(),
            settings.breakerMaxFailures(), settings.callTimeout().plusSeconds(1), settings.breakerResetTimeout())
        .addOnOpenListener(() -> LOG.warn("provider {} failed {} calls in a row: failing its calls at once for {}",
            provider, settings.breakerMaxFailures(), settings.breakerResetTimeout()))
        .addOnHalfOpenListener(channel::resetConnectBackoff) // the trial call dials at once
        .addOnCloseListener(() -> LOG.info("provider {} answers again", provider));
    for (int i = 0; i < settings.maxInFlight(); i++) {
      idle.add(context.spawn(ProviderClient.create(provider, channel, breaker, settings.payloadPolicy()), "client-" + i));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Call.class, this::onCall)
        .onMessage(WorkerIdle.class, this::onWorkerIdle)
        .onMessage(CheckHealth.class, this::onCheckHealth)
        .onSignal(PostStop.class, signal -> closeChannel())
        .build();
  }

  private Behavior<Command> onCall(Call call) {
    if (breaker.isOpen()) {
      call.replyTo().tell(StatusReply.error(ProviderClient.circuitOpen(provider)));
      return this;
    }
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff(); // a restarted provider is dialled now, not after gRPC's reconnect backoff
    }
    Pending pending = new Pending(call, System.nanoTime() + settings.callTimeout().toNanos());
    if (!idle.isEmpty()) {
      DriverMetrics.providerInFlight(provider, 1);
      run(idle.poll(), pending);
    } else if (queue.size() < settings.maxQueued()) {
      queue.add(pending);
    } else {
      DriverMetrics.providerRejected(provider);
      call.replyTo().tell(StatusReply.error(new DriverException(
          FailureKind.PROVIDER_OVERLOADED,
          "provider " + provider + " has " + settings.maxInFlight() + " calls in flight and "
              + queue.size() + " queued: try again later")));
    }
    return this;
  }

  private Behavior<Command> onWorkerIdle(WorkerIdle message) {
    Pending next = queue.poll();
    if (next == null) {
      DriverMetrics.providerInFlight(provider, -1);
      idle.add(message.worker());
    } else {
      run(message.worker(), next);
    }
    return this;
  }

  private Behavior<Command> onCheckHealth(CheckHealth check) {
    java.util.concurrent.CompletableFuture<java.util.Optional<String>> result = new java.util.concurrent.CompletableFuture<>();
    io.grpc.stub.ClientCalls.asyncUnaryCall(
        channel.newCall(ProviderMethods.VERSION, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)),
        io.sscsi.provider.v1alpha1.VersionRequest.newBuilder().setVersion("v1alpha1").build(),
        new io.grpc.stub.StreamObserver<>() {
          @Override public void onNext(io.sscsi.provider.v1alpha1.VersionResponse v) { result.complete(java.util.Optional.empty()); }
          @Override public void onError(Throwable t) {
            result.complete(java.util.Optional.of("Version failed: " + io.grpc.Status.fromThrowable(t).getCode()));
          }
          @Override public void onCompleted() {}
        });
    result.thenAccept(problem -> check.replyTo().tell(new ProviderRegistry.HealthResult(provider, problem)));
    return this;
  }

  private void run(ActorRef<ProviderClient.Command> worker, Pending pending) {
    worker.tell(new ProviderClient.Run(pending, getContext().getSelf()));
  }

  private Behavior<Command> closeChannel() {
    channel.shutdown();
    try {
      channel.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    channel.shutdownNow();
    return this;
  }

  /** Upstream's client retries UNAVAILABLE up to 3 attempts; so do we, with a shorter backoff. */
  private static Map<String, ?> retryOnUnavailable() {
    Map<String, Object> retry = Map.of(
        "maxAttempts", 3.0,
        "initialBackoff", "0.2s",
        "maxBackoff", "2s",
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of("UNAVAILABLE"));
    Map<String, Object> method = Map.of(
        "name", List.of(Map.of("service", ProviderMethods.SERVICE)), "retryPolicy", retry);
    return Map.of("methodConfig", List.of(method));
  }
}
