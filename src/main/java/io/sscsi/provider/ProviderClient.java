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
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;

/**
 * One worker of a {@link ProviderPool}: runs one Mount call at a time on the pool's shared channel
 * with what is left of the call's deadline (waiting for the provider while it is unreachable, as
 * upstream's waitForReady does), checks the response once ({@link ResponseCheck}), answers the
 * caller and tells the pool it is free again. It owns nothing but the call under way; if it fails,
 * it stops and the pool answers that call and replaces it. Requests and responses are never
 * logged: they carry tokens and secret content.
 */
public final class ProviderClient {

  /** Turns a provider's response into the result, or throws DriverException (the payload rules run here). */
  @FunctionalInterface
  interface ResponseCheck {
    ProviderMountResult check(String provider, MountResponse response);
  }

  public sealed interface Command {}

  record Run(ProviderPool.Pending pending) implements Command {}

  private record Finished(ProviderPool.Pending pending, long startNanos, MountResponse response, Throwable failure)
      implements Command {}

  private ProviderClient() {}

  static Behavior<Command> create(ProviderName provider, ManagedChannel channel, ResponseCheck check, Clock clock,
      ActorRef<ProviderPool.Command> pool) {
    return Behaviors.setup(ctx -> Behaviors.receive(Command.class)
        .onMessage(Run.class, run -> onRun(ctx, provider, channel, clock, pool, run.pending()))
        .onMessage(Finished.class, done -> onFinished(ctx, provider, check, pool, done))
        .build());
  }

  private static Behavior<Command> onRun(ActorContext<Command> ctx, ProviderName provider, ManagedChannel channel,
      Clock clock, ActorRef<ProviderPool.Command> pool, ProviderPool.Pending pending) {
    Duration remaining = Duration.between(clock.instant(), pending.call().deadline());
    if (remaining.isNegative() || remaining.isZero()) {
      pending.call().replyTo().tell(StatusReply.error(new DriverException(FailureKind.PROVIDER_TIMEOUT,
          "provider " + provider + " call expired while queued")));
      pool.tell(new ProviderPool.WorkerDone(ctx.getSelf(), false, pending.trial()));
      return Behaviors.same();
    }
    long start = System.nanoTime();
    ctx.pipeToSelf(mount(channel, pending.call().request(), remaining),
        (response, failure) -> new Finished(pending, start, response, failure));
    return Behaviors.same();
  }

  private static Behavior<Command> onFinished(ActorContext<Command> ctx, ProviderName provider, ResponseCheck check,
      ActorRef<ProviderPool.Command> pool, Finished done) {
    DriverMetrics.providerCall(provider.value(), Duration.ofNanos(System.nanoTime() - done.startNanos()));
    StatusReply<ProviderMountResult> reply;
    boolean breaking = false;
    if (done.failure() != null) {
      Throwable t = unwrap(done.failure());
      breaking = t instanceof StatusRuntimeException sre && (sre.getStatus().getCode() == Status.Code.UNAVAILABLE
          || sre.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED);
      reply = StatusReply.error(t instanceof StatusRuntimeException sre
          ? DriverException.fromProvider(provider.value(), sre) : DriverException.of(t));
    } else {
      try {
        reply = StatusReply.success(check.check(provider.value(), done.response()));
      } catch (DriverException e) {
        reply = StatusReply.error(e);
      }
    }
    done.pending().call().replyTo().tell(reply);
    pool.tell(new ProviderPool.WorkerDone(ctx.getSelf(), breaking, done.pending().trial()));
    return Behaviors.same();
  }

  private static CompletableFuture<MountResponse> mount(ManagedChannel channel, ProviderMountRequest request,
      Duration remaining) {
    CompletableFuture<MountResponse> result = new CompletableFuture<>();
    ClientCalls.asyncUnaryCall(
        channel.newCall(ProviderMethods.MOUNT, CallOptions.DEFAULT.withWaitForReady()
            .withDeadlineAfter(remaining.toNanos(), TimeUnit.NANOSECONDS)),
        toProto(request),
        new StreamObserver<>() {
          @Override public void onNext(MountResponse value) { result.complete(value); }
          @Override public void onError(Throwable t) { result.completeExceptionally(t); }
          @Override public void onCompleted() { result.completeExceptionally(new IllegalStateException("no response")); }
        });
    return result;
  }

  static DriverException circuitOpen(ProviderName provider) {
    return new DriverException(FailureKind.PROVIDER_UNAVAILABLE, "provider " + provider
        + " is failing (unreachable or not answering): its calls fail at once until a trial call succeeds");
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
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
