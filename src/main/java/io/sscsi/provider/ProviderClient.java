package io.sscsi.provider;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.CircuitBreaker;
import org.apache.pekko.pattern.CircuitBreakerOpenException;
import org.apache.pekko.pattern.StatusReply;

/**
 * One worker of a {@link ProviderPool}: runs one Mount call at a time on the pool's shared channel,
 * with the call's remaining deadline, checks the response ({@link ProviderResponses}), answers the
 * original requester and tells the pool it is idle again. It owns nothing but the call under way.
 * Requests and responses are never logged: they carry tokens and secret content.
 */
public final class ProviderClient {

  public sealed interface Command {}

  record Run(ProviderPool.Pending pending, ActorRef<ProviderPool.Command> pool) implements Command {}

  private record Finished(Run run, long startNanos, MountResponse response, Throwable failure) implements Command {}

  private ProviderClient() {}

  static Behavior<Command> create(String provider, ManagedChannel channel, CircuitBreaker breaker,
      io.sscsi.fs.PayloadRules.Policy payloadPolicy) {
    return Behaviors.setup(ctx -> Behaviors.receive(Command.class)
        .onMessage(Run.class, run -> onRun(ctx, provider, channel, breaker, run))
        .onMessage(Finished.class, done -> onFinished(ctx, provider, payloadPolicy, done))
        .build());
  }

  private static Behavior<Command> onRun(
      ActorContext<Command> ctx, String provider, ManagedChannel channel, CircuitBreaker breaker, Run run) {
    long remaining = run.pending().deadlineNanos() - System.nanoTime();
    if (remaining <= 0) {
      ctx.getSelf().tell(new Finished(run, System.nanoTime(), null, new DriverException(
          FailureKind.PROVIDER_TIMEOUT, "provider " + provider + " call expired while queued")));
      return Behaviors.same();
    }
    long start = System.nanoTime();
    CompletionStage<MountResponse> result = breaker.callWithCircuitBreakerCS(
        () -> mount(channel, run.pending().call().request(), remaining), ProviderClient::breaksCircuit);
    ctx.pipeToSelf(result, (response, failure) -> new Finished(run, start, response, failure));
    return Behaviors.same();
  }

  private static Behavior<Command> onFinished(ActorContext<Command> ctx, String provider,
      io.sscsi.fs.PayloadRules.Policy payloadPolicy, Finished done) {
    DriverMetrics.providerCall(provider, java.time.Duration.ofNanos(System.nanoTime() - done.startNanos()));
    StatusReply<ProviderMountResult> reply;
    if (done.failure() != null) {
      reply = StatusReply.error(toDriverException(provider, done.failure()));
    } else {
      try {
        reply = StatusReply.success(ProviderResponses.check(provider, done.response(), payloadPolicy));
      } catch (DriverException e) {
        reply = StatusReply.error(e);
      }
    }
    done.run().pending().call().replyTo().tell(reply);
    done.run().pool().tell(new ProviderPool.WorkerIdle(ctx.getSelf()));
    return Behaviors.same();
  }

  private static CompletionStage<MountResponse> mount(ManagedChannel channel, ProviderMountRequest request, long nanos) {
    CompletableFuture<MountResponse> result = new CompletableFuture<>();
    ClientCalls.asyncUnaryCall(
        channel.newCall(ProviderMethods.MOUNT, CallOptions.DEFAULT.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS)),
        toProto(request),
        new StreamObserver<>() {
          @Override public void onNext(MountResponse value) { result.complete(value); }
          @Override public void onError(Throwable t) { result.completeExceptionally(t); }
          @Override public void onCompleted() { result.completeExceptionally(new IllegalStateException("no response")); }
        });
    return result;
  }

  /** Only a provider that cannot be reached or does not answer counts against its circuit. */
  private static boolean breaksCircuit(Optional<MountResponse> response, Optional<Throwable> failure) {
    return failure.map(ProviderClient::unwrap)
        .filter(t -> t instanceof StatusRuntimeException sre
            && (sre.getStatus().getCode() == Status.Code.UNAVAILABLE
                || sre.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED))
        .isPresent();
  }

  static DriverException circuitOpen(String provider) {
    return new DriverException(FailureKind.PROVIDER_UNAVAILABLE, "provider " + provider
        + " is failing (unreachable or not answering): its calls fail at once until a trial call succeeds");
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
  }

  private static DriverException toDriverException(String provider, Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof CircuitBreakerOpenException) {
      return circuitOpen(provider);
    }
    if (t instanceof StatusRuntimeException sre) {
      return DriverException.fromProvider(provider, sre);
    }
    return DriverException.of(t);
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
}
