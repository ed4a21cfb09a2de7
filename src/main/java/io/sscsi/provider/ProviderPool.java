package io.sscsi.provider;

import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.provider.v1alpha1.VersionResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * Owns one provider's gRPC channel and the backpressure in front of it. Volumes send it {@link Call}
 * directly (through {@link ProviderPools}); {@code maxInFlight} {@link ProviderClient} workers share
 * the channel, each running one call at a time; calls beyond that wait in a FIFO queue of at most
 * {@code maxQueued}; a call arriving at a full queue is refused at once with RESOURCE_EXHAUSTED,
 * which kubelet treats as retryable. Each call carries its one deadline, so time spent queued counts.
 *
 * <p>The channel dials as upstream's does: the socket is looked up when it connects
 * ({@link ProviderSocketResolver}), calls wait for a provider that is restarting (waitForReady), and
 * while calls wait the pool redials on its own backoff (1 s growing to 10 s). A circuit breaker
 * ({@link ProviderCircuit}) opens after consecutive UNAVAILABLE or DEADLINE_EXCEEDED calls, so a dead
 * provider then costs one fast UNAVAILABLE per call until a trial call succeeds.
 *
 * <p>The pool supervises its workers: a worker that fails mid-call is stopped, its caller is
 * answered INTERNAL at once, and a new worker takes its place, so the pool keeps its size and the
 * in-flight gauge counts exactly the calls running. If the pool itself fails, it answers every call
 * it holds before it restarts. Talks to: {@link ProviderPools} (calls), the {@link ProviderRegistry}
 * (its parent: health checks) and its workers.
 */
public final class ProviderPool extends AbstractBehavior<ProviderPool.Command> {

  public sealed interface Command {}

  /** One Mount call, to be answered by {@code deadline}. */
  public record Call(ProviderMountRequest request, Instant deadline,
      ActorRef<StatusReply<ProviderMountResult>> replyTo) implements Command {}

  /** A worker answered its call; {@code breaking} when the provider was unreachable or too slow. */
  record WorkerDone(ActorRef<ProviderClient.Command> worker, boolean breaking, boolean trial) implements Command {}

  private record WorkerStopped(ActorRef<ProviderClient.Command> worker) implements Command {}

  /** Call the provider's Version RPC (5 s deadline) and report to {@code replyTo}. */
  record CheckHealth(ActorRef<ProviderRegistry.Command> replyTo) implements Command {}

  private record ChannelState(ConnectivityState state) implements Command {}

  private record Redial() implements Command {}

  /** A call as a worker runs it; {@code trial} when it is the circuit's trial call. */
  record Pending(Call call, boolean trial) {}

  private static final Object REDIAL = "redial";

  private final ProviderName provider;
  private final ProviderSettings settings;
  private final Clock clock;
  private final ProviderClient.ResponseCheck check;
  private final TimerScheduler<Command> timers;
  /**
   * The headers and trailers a provider may send: 1 MiB, not grpc-java's 8 KiB, so that a long
   * error message (the status travels in a trailer) still arrives with the provider's code instead
   * of failing the call as INTERNAL "RST_STREAM"; {@code errors.ForeignText} then cuts it to 1 KiB.
   */
  static final int MAX_METADATA_BYTES = 1024 * 1024;
  private final ManagedChannel channel;
  private final ProviderCircuit circuit;
  private final Set<ActorRef<ProviderClient.Command>> workers = new HashSet<>();
  private final ArrayDeque<ActorRef<ProviderClient.Command>> idle = new ArrayDeque<>();
  private final Map<ActorRef<ProviderClient.Command>, Pending> running = new HashMap<>();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int redials;
  private long spawned;

  /** A pool that checks responses with {@link ProviderResponses#check} under the settings' payload policy. */
  static Behavior<Command> create(ProviderName provider, ProviderSettings settings, Clock clock) {
    return create(provider, settings, clock,
        (name, response) -> ProviderResponses.check(name, response, settings.payloadPolicy()));
  }

  static Behavior<Command> create(ProviderName provider, ProviderSettings settings, Clock clock,
      ProviderClient.ResponseCheck check) {
    Behavior<Command> pool = Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new ProviderPool(ctx, timers, provider, settings, clock, check)));
    return Behaviors.supervise(pool).onFailure(SupervisorStrategy.restart());
  }

  private ProviderPool(ActorContext<Command> context, TimerScheduler<Command> timers, ProviderName provider,
      ProviderSettings settings, Clock clock, ProviderClient.ResponseCheck check) {
    super(context);
    this.timers = timers;
    this.provider = provider;
    this.settings = settings;
    this.clock = clock;
    this.check = check;
    this.channel = Grpc.newChannelBuilder(ProviderSocketResolver.target(provider), InsecureChannelCredentials.create(),
            ProviderSocketResolver.registry(provider, settings.socketDirs()))
        .overrideAuthority("localhost")
        .maxInboundMessageSize(settings.maxReceiveBytes())
        .maxInboundMetadataSize(MAX_METADATA_BYTES)
        .defaultServiceConfig(upstreamServiceConfig())
        .enableRetry()
        .directExecutor() // callbacks only hand the result to an actor: no extra thread hop
        .build();
    this.circuit = new ProviderCircuit(settings.breakerMaxFailures(), settings.breakerResetTimeout());
    for (int i = 0; i < settings.maxInFlight(); i++) {
      spawnWorker();
    }
    watchChannel(channel.getState(false));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Call.class, this::onCall)
        .onMessage(WorkerDone.class, this::onWorkerDone)
        .onMessage(WorkerStopped.class, this::onWorkerStopped)
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
      call.replyTo().tell(StatusReply.error(ProviderClient.circuitOpen(provider)));
      return this;
    }
    boolean trial = admit == ProviderCircuit.Admit.TRIAL;
    if (trial) {
      channel.resetConnectBackoff(); // the trial call dials at once
    }
    Pending pending = new Pending(call, trial);
    if (!idle.isEmpty()) {
      start(idle.poll(), pending);
    } else if (queue.size() < settings.maxQueued()) {
      queue.add(pending);
    } else {
      if (trial) {
        circuit.trialAbandoned();
      }
      DriverMetrics.providerRejected(provider.value());
      call.replyTo().tell(StatusReply.error(new DriverException(FailureKind.PROVIDER_OVERLOADED,
          "provider " + provider + " has " + settings.maxInFlight() + " calls in flight and "
              + queue.size() + " queued: try again later")));
    }
    redialSoonIfDown();
    return this;
  }

  private Behavior<Command> onWorkerDone(WorkerDone done) {
    if (running.remove(done.worker()) != null) {
      DriverMetrics.providerInFlight(provider.value(), -1);
    }
    switch (circuit.record(done.breaking(), done.trial(), clock.instant())) {
      case OPENED -> getContext().getLog().warn("provider {} failed {} calls in a row: failing its calls at once for {}",
          provider, settings.breakerMaxFailures(), settings.breakerResetTimeout());
      case CLOSED -> getContext().getLog().info("provider {} answers again", provider);
      case NONE -> { }
    }
    if (workers.contains(done.worker())) {
      idle.add(done.worker());
      dispatch();
    }
    return this;
  }

  private Behavior<Command> onWorkerStopped(WorkerStopped stopped) {
    if (!workers.remove(stopped.worker())) {
      return this;
    }
    idle.remove(stopped.worker());
    Pending lost = running.remove(stopped.worker());
    if (lost != null) {
      DriverMetrics.providerInFlight(provider.value(), -1);
      if (lost.trial()) {
        circuit.trialAbandoned();
      }
      lost.call().replyTo().tell(StatusReply.error(new DriverException(FailureKind.INTERNAL,
          "the call to provider " + provider + " failed inside the driver (its worker stopped); kubelet retries")));
    }
    getContext().getLog().error("provider {}: a worker failed and was replaced", provider);
    spawnWorker();
    dispatch();
    return this;
  }

  private void spawnWorker() {
    ActorRef<ProviderClient.Command> worker = getContext().spawn(
        Behaviors.supervise(ProviderClient.create(provider, channel, check, clock, getContext().getSelf()))
            .onFailure(SupervisorStrategy.stop()),
        "client-" + spawned++, DispatcherSelector.sameAsParent());
    getContext().watchWith(worker, new WorkerStopped(worker));
    workers.add(worker);
    idle.add(worker);
  }

  private void dispatch() {
    while (!idle.isEmpty() && !queue.isEmpty()) {
      start(idle.poll(), queue.poll());
    }
  }

  private void start(ActorRef<ProviderClient.Command> worker, Pending pending) {
    running.put(worker, pending);
    DriverMetrics.providerInFlight(provider.value(), 1);
    worker.tell(new ProviderClient.Run(pending));
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
    running.values().forEach(p -> p.call().replyTo().tell(StatusReply.error(failure)));
    queue.forEach(p -> p.call().replyTo().tell(StatusReply.error(failure)));
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
