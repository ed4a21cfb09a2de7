package io.sscsi.provider;

import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.sscsi.errors.DriverException;
import io.sscsi.grpc.ClientEventLoop;
import io.sscsi.errors.FailureKind;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.provider.v1alpha1.VersionResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns one provider's gRPC channel and the backpressure in front of it. Volumes send it {@link Call}
 * directly (through {@link ProviderPools}); it runs at most {@code maxInFlight} calls at once on the
 * channel, making each gRPC call itself; calls beyond that wait in a FIFO queue of at most
 * {@code maxQueued}; a call arriving at a full queue is refused at once with RESOURCE_EXHAUSTED,
 * which kubelet treats as retryable. Each call carries its one deadline, so time spent queued counts.
 * The provider's answer completes the caller's future on the channel's own thread (the caller checks
 * the payload on the blocking dispatcher, never on the core thread) and comes back to the pool as
 * {@link Finished}, off the caller's path, to free the slot and feed the circuit.
 *
 * <p>The channel dials as upstream's does: the socket is looked up when it connects
 * ({@link ProviderSocketResolver}), calls wait for a provider that is restarting (waitForReady), and
 * while calls wait the pool redials on its own backoff (1 s growing to 10 s). A circuit breaker
 * ({@link ProviderCircuit}) opens after consecutive UNAVAILABLE or DEADLINE_EXCEEDED calls, so a dead
 * provider then costs one fast UNAVAILABLE per call until a trial call succeeds.
 *
 * <p>If the pool fails, it answers every call it holds before it restarts, so the in-flight gauge
 * counts exactly the calls running. Requests and responses are never logged: they carry tokens and
 * secret content. Talks to: {@link ProviderPools} (calls), the {@link ProviderRegistry} (its parent:
 * health checks).
 */
public final class ProviderPool extends AbstractBehavior<ProviderPool.Command> {

  public sealed interface Command {}

  /** One Mount call, to be answered (the provider's raw response, or a DriverException) by {@code deadline}. */
  public record Call(ProviderMountRequest request, Instant deadline, CompletableFuture<MountResponse> answer)
      implements Command {}

  /** A call the pool started has ended; {@code breaking} when the provider was unreachable or too slow. */
  private record Finished(Pending pending, boolean breaking) implements Command {}

  /** Call the provider's Version RPC (5 s deadline) and report to {@code replyTo}. */
  record CheckHealth(ActorRef<ProviderRegistry.Command> replyTo) implements Command {}

  private record ChannelState(ConnectivityState state) implements Command {}

  private record Redial() implements Command {}

  /** A call as the pool runs it; {@code trial} when it is the circuit's trial call. */
  private record Pending(Call call, boolean trial) {}

  private static final Object REDIAL = "redial";

  private final ProviderName provider;
  private final ProviderSettings settings;
  private final Clock clock;
  private final TimerScheduler<Command> timers;
  /**
   * The headers and trailers a provider may send: 1 MiB, not grpc-java's 8 KiB, so that a long
   * error message (the status travels in a trailer) still arrives with the provider's code instead
   * of failing the call as INTERNAL "RST_STREAM"; {@code errors.ForeignText} then cuts it to 1 KiB.
   */
  static final int MAX_METADATA_BYTES = 1024 * 1024;
  private final ManagedChannel channel;
  private final ProviderCircuit circuit;
  private final Set<Pending> running = Collections.newSetFromMap(new IdentityHashMap<>());
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int redials;

  static Behavior<Command> create(ProviderName provider, ProviderSettings settings, Clock clock) {
    Behavior<Command> pool = Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new ProviderPool(ctx, timers, provider, settings, clock)));
    return Behaviors.supervise(pool).onFailure(SupervisorStrategy.restart());
  }

  private ProviderPool(ActorContext<Command> context, TimerScheduler<Command> timers, ProviderName provider,
      ProviderSettings settings, Clock clock) {
    super(context);
    this.timers = timers;
    this.provider = provider;
    this.settings = settings;
    this.clock = clock;
    this.channel = ClientEventLoop.onSharedLoop(Grpc.newChannelBuilder(ProviderSocketResolver.target(provider),
            InsecureChannelCredentials.create(), ProviderSocketResolver.registry(provider, settings.socketDirs())))
        .overrideAuthority("localhost")
        .maxInboundMessageSize(settings.maxReceiveBytes())
        .maxInboundMetadataSize(MAX_METADATA_BYTES)
        .defaultServiceConfig(upstreamServiceConfig())
        .enableRetry()
        .directExecutor() // callbacks only complete a future and tell the pool: no extra thread hop
        .build();
    this.circuit = new ProviderCircuit(settings.breakerMaxFailures(), settings.breakerResetTimeout());
    watchChannel(channel.getState(false));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Call.class, this::onCall)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(CheckHealth.class, this::onCheckHealth)
        .onMessage(ChannelState.class, this::onChannelState)
        .onMessage(Redial.class, this::onRedial)
        .onSignal(PreRestart.class, signal -> abandonAll("the provider pool restarted"))
        .onSignal(PostStop.class, signal -> abandonAll("the driver is stopping"))
        .build();
  }

  private Behavior<Command> onCall(Call call) {
    ProviderCircuit.Admit admit = circuit.admit(clock.instant());
    if (admit == ProviderCircuit.Admit.REFUSE) {
      call.answer().completeExceptionally(circuitOpen(provider));
      return this;
    }
    boolean trial = admit == ProviderCircuit.Admit.TRIAL;
    if (trial) {
      channel.resetConnectBackoff(); // the trial call dials at once
    }
    Pending pending = new Pending(call, trial);
    if (running.size() < settings.maxInFlight()) {
      start(pending);
    } else if (queue.size() < settings.maxQueued()) {
      queue.add(pending);
    } else {
      if (trial) {
        circuit.trialAbandoned();
      }
      DriverMetrics.providerRejected(provider.value());
      call.answer().completeExceptionally(new DriverException(FailureKind.PROVIDER_OVERLOADED,
          "provider " + provider + " has " + settings.maxInFlight() + " calls in flight and "
              + queue.size() + " queued: try again later"));
    }
    redialSoonIfDown();
    return this;
  }

  private Behavior<Command> onFinished(Finished done) {
    if (running.remove(done.pending())) {
      DriverMetrics.providerInFlight(provider.value(), -1);
      recordOutcome(done.breaking(), done.pending().trial());
      dispatch();
    }
    return this;
  }

  private void recordOutcome(boolean breaking, boolean trial) {
    switch (circuit.record(breaking, trial, clock.instant())) {
      case OPENED -> getContext().getLog().warn("provider {} failed {} calls in a row: failing its calls at once for {}",
          provider, settings.breakerMaxFailures(), settings.breakerResetTimeout());
      case CLOSED -> getContext().getLog().info("provider {} answers again", provider);
      case NONE -> { }
    }
  }

  private void dispatch() {
    while (running.size() < settings.maxInFlight() && !queue.isEmpty()) {
      start(queue.poll());
    }
  }

  /**
   * Makes the gRPC call with what is left of the call's deadline. Its answer completes the caller's
   * future on the channel's thread, then tells the pool; a call that expired while queued is
   * answered PROVIDER_TIMEOUT without calling.
   */
  private void start(Pending pending) {
    Call call = pending.call();
    Duration remaining = Duration.between(clock.instant(), call.deadline());
    if (remaining.isNegative() || remaining.isZero()) {
      call.answer().completeExceptionally(new DriverException(FailureKind.PROVIDER_TIMEOUT,
          "provider " + provider + " call expired while queued"));
      recordOutcome(false, pending.trial());
      return;
    }
    running.add(pending);
    DriverMetrics.providerInFlight(provider.value(), 1);
    ActorRef<Command> self = getContext().getSelf();
    long startNanos = System.nanoTime();
    ClientCalls.asyncUnaryCall(
        channel.newCall(ProviderMethods.MOUNT, CallOptions.DEFAULT.withWaitForReady()
            .withDeadlineAfter(remaining.toNanos(), TimeUnit.NANOSECONDS)),
        toProto(call.request()),
        new StreamObserver<>() {
          private boolean answered;

          @Override public void onNext(MountResponse value) {
            finish(false, () -> call.answer().complete(value));
          }

          @Override public void onError(Throwable t) {
            boolean breaking = t instanceof StatusRuntimeException sre
                && (sre.getStatus().getCode() == Status.Code.UNAVAILABLE
                    || sre.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED);
            finish(breaking, () -> call.answer().completeExceptionally(t instanceof StatusRuntimeException sre
                ? DriverException.fromProvider(provider.value(), sre) : DriverException.of(t)));
          }

          @Override public void onCompleted() {
            finish(false, () -> call.answer().completeExceptionally(new DriverException(FailureKind.INTERNAL,
                "provider " + provider + " ended the Mount call without a response")));
          }

          private void finish(boolean breaking, Runnable answer) {
            if (answered) {
              return;
            }
            answered = true;
            DriverMetrics.providerCall(provider.value(), Duration.ofNanos(System.nanoTime() - startNanos));
            answer.run();
            self.tell(new Finished(pending, breaking));
          }
        });
  }

  static DriverException circuitOpen(ProviderName provider) {
    return new DriverException(FailureKind.PROVIDER_UNAVAILABLE, "provider " + provider
        + " is failing (unreachable or not answering): its calls fail at once until a trial call succeeds");
  }

  static MountRequest toProto(ProviderMountRequest request) {
    MountRequest.Builder b = MountRequest.newBuilder()
        .setAttributes(request.attributesJson())
        .setSecrets(request.secretsJson())
        .setTargetPath(request.targetPath())
        .setPermission(request.permission());
    request.currentVersions().forEach((id, version) ->
        b.addCurrentObjectVersion(ObjectVersion.newBuilder().setId(id).setVersion(version)));
    return b.build();
  }

  /** Re-arms the state watch; while calls wait on a channel that cannot connect, redials on a backoff. */
  private Behavior<Command> onChannelState(ChannelState changed) {
    watchChannel(changed.state());
    if (changed.state() == ConnectivityState.READY) {
      redials = 0;
      timers.cancel(REDIAL);
    } else {
      redialSoonIfDown();
    }
    return this;
  }

  private void redialSoonIfDown() {
    boolean waiting = !running.isEmpty() || !queue.isEmpty();
    if (waiting && channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE && !timers.isTimerActive(REDIAL)) {
      timers.startSingleTimer(REDIAL, new Redial(), settings.reconnect().delay(++redials));
    }
  }

  private Behavior<Command> onRedial(Redial redial) {
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff(); // looks the socket up again and dials now
    }
    return this;
  }

  private void watchChannel(ConnectivityState current) {
    ActorRef<Command> self = getContext().getSelf();
    channel.notifyWhenStateChanged(current, () -> self.tell(new ChannelState(channel.getState(false))));
  }

  private Behavior<Command> onCheckHealth(CheckHealth check) {
    ActorRef<ProviderRegistry.Command> replyTo = check.replyTo();
    ClientCalls.asyncUnaryCall(
        channel.newCall(ProviderMethods.VERSION, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)),
        VersionRequest.newBuilder().setVersion("v1alpha1").build(),
        new StreamObserver<>() {
          @Override public void onNext(VersionResponse v) {
            replyTo.tell(new ProviderRegistry.HealthResult(provider, Optional.empty()));
          }
          @Override public void onError(Throwable t) {
            replyTo.tell(new ProviderRegistry.HealthResult(provider,
                Optional.of("Version failed: " + Status.fromThrowable(t).getCode())));
          }
          @Override public void onCompleted() {}
        });
    return this;
  }

  /** Answers every call this pool holds (the pool is restarting or stopping) and closes the channel. */
  private Behavior<Command> abandonAll(String why) {
    DriverException failure = new DriverException(FailureKind.PROVIDER_UNAVAILABLE,
        "provider " + provider + " call not finished: " + why);
    running.forEach(p -> p.call().answer().completeExceptionally(failure));
    queue.forEach(p -> p.call().answer().completeExceptionally(failure));
    DriverMetrics.providerInFlight(provider.value(), -running.size());
    running.clear();
    queue.clear();
    channel.shutdownNow(); // no wait: in-flight calls are cancelled, their callers already answered
    return this;
  }

  /**
   * Upstream's channel config: wait for the provider to be ready, and retry UNAVAILABLE up to 3
   * attempts with a 1 s to 10 s backoff.
   */
  private static Map<String, ?> upstreamServiceConfig() {
    Map<String, Object> retry = Map.of(
        "maxAttempts", 3.0,
        "initialBackoff", "1s",
        "maxBackoff", "10s",
        "backoffMultiplier", 1.1,
        "retryableStatusCodes", List.of("UNAVAILABLE"));
    Map<String, Object> method = Map.of(
        "name", List.of(Map.of("service", ProviderMethods.SERVICE)),
        "waitForReady", true,
        "retryPolicy", retry);
    return Map.of("methodConfig", List.of(method));
  }
}
