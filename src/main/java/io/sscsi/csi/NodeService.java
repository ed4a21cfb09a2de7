package io.sscsi.csi;

import io.grpc.Context;
import io.grpc.Deadline;
import io.sscsi.csi.v1.*;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.provider.ProviderPools;
import io.sscsi.volume.PublishRequest;
import io.sscsi.volume.VolumeRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * CSI Node: validates kubelet's requests ({@link CsiRequests}) and asks the {@link VolumeRouter}.
 * A publish carries the call's own deadline less a margin to answer in (the volume's work, provider
 * call included, must end by then); the ask's timeout is the call's whole deadline. Answers are
 * continued on the thread that completes them, never on the common pool. No logic of its own.
 */
public final class NodeService implements Node {
  private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration ANSWER_MARGIN = Duration.ofSeconds(1); // to undo a failed publish and answer

  private final CoreGate core;

  private final String nodeId;
  private final Clock clock;

  public NodeService(CoreGate core, String nodeId, Clock clock) {
    this.core = core;
    this.nodeId = nodeId;
    this.clock = clock;
  }

  /**
   * Outcomes the volume actors decide are counted there; here only what never reaches them (a
   * rejected request, or no answer within the deadline).
   */
  @Override
  public CompletionStage<NodePublishVolumeResponse> nodePublishVolume(NodePublishVolumeRequest in) {
    String providerLabel = in.getVolumeContextOrDefault("providerName", "");
    PublishRequest request;
    try {
      request = CsiRequests.publish(in);
    } catch (DriverException e) {
      DriverMetrics.publishError(providerLabel, e.errorType());
      throw e;
    }
    Deadline call = deadline();
    return volumes(call).thenCompose(calls -> {
          Duration timeout = remaining(call);
          Duration work = timeout.compareTo(ANSWER_MARGIN.multipliedBy(2)) > 0 ? timeout.minus(ANSWER_MARGIN) : timeout;
          Instant deadline = clock.instant().plus(work);
          return AskPattern.<VolumeRouter.Command, org.apache.pekko.Done>askWithStatus(
              calls.router(), replyTo -> new VolumeRouter.Publish(request, deadline, replyTo), timeout, calls.scheduler());
        })
        .handleAsync(answer(NodePublishVolumeResponse.getDefaultInstance(),
            failure -> DriverMetrics.publishError(providerLabel, failure.errorType())), ProviderPools.SAME_THREAD)
        .whenComplete((ok, failure) -> core.volumeCallAnswered());
  }

  @Override
  public CompletionStage<NodeUnpublishVolumeResponse> nodeUnpublishVolume(NodeUnpublishVolumeRequest in) {
    Path target;
    try {
      target = CsiRequests.unpublishTarget(in);
    } catch (DriverException e) {
      DriverMetrics.unpublishError();
      throw e;
    }
    Deadline call = deadline();
    return volumes(call).thenCompose(calls -> {
          Duration timeout = remaining(call);
          Instant deadline = clock.instant().plus(timeout);
          return AskPattern.<VolumeRouter.Command, org.apache.pekko.Done>askWithStatus(
              calls.router(), replyTo -> new VolumeRouter.Unpublish(target, deadline, replyTo), timeout, calls.scheduler());
        })
        .handleAsync(answer(NodeUnpublishVolumeResponse.getDefaultInstance(), failure -> DriverMetrics.unpublishError()),
            ProviderPools.SAME_THREAD)
        .whenComplete((ok, failure) -> core.volumeCallAnswered());
  }

  /**
   * The answer to a volume call: {@code ok} once the router replied, else the failure, counted by
   * {@code countFailure} unless a DriverException already counted it where it was raised.
   */
  private static <R> BiFunction<Object, Throwable, R> answer(R ok, Consumer<DriverException> countFailure) {
    return (done, failure) -> {
      if (failure == null) {
        return ok;
      }
      if (DriverException.unwrap(failure).isEmpty()) {
        countFailure.accept(DriverException.of(failure));
      }
      throw failure instanceof CompletionException ce ? ce : new CompletionException(failure);
    };
  }

  /** Inline volumes are never staged; validated and accepted as upstream does. */
  @Override
  public CompletionStage<NodeStageVolumeResponse> nodeStageVolume(NodeStageVolumeRequest in) {
    require(!in.getVolumeId().isBlank(), "volume id missing in request");
    require(!in.getStagingTargetPath().isBlank(), "staging target path missing in request");
    require(in.hasVolumeCapability(), "volume capability missing in request");
    return CompletableFuture.completedFuture(NodeStageVolumeResponse.getDefaultInstance());
  }

  @Override
  public CompletionStage<NodeUnstageVolumeResponse> nodeUnstageVolume(NodeUnstageVolumeRequest in) {
    require(!in.getVolumeId().isBlank(), "volume id missing in request");
    require(!in.getStagingTargetPath().isBlank(), "staging target path missing in request");
    return CompletableFuture.completedFuture(NodeUnstageVolumeResponse.getDefaultInstance());
  }

  @Override
  public CompletionStage<NodeGetVolumeStatsResponse> nodeGetVolumeStats(NodeGetVolumeStatsRequest in) {
    return CompletableFuture.failedFuture(
        new DriverException(FailureKind.UNIMPLEMENTED, "NodeGetVolumeStats is not implemented"));
  }

  @Override
  public CompletionStage<NodeExpandVolumeResponse> nodeExpandVolume(NodeExpandVolumeRequest in) {
    return CompletableFuture.failedFuture(
        new DriverException(FailureKind.UNIMPLEMENTED, "NodeExpandVolume is not implemented"));
  }

  /** Upstream advertises STAGE_UNSTAGE_VOLUME only; kubelet never stages inline volumes. */
  @Override
  public CompletionStage<NodeGetCapabilitiesResponse> nodeGetCapabilities(NodeGetCapabilitiesRequest in) {
    NodeServiceCapability stage = NodeServiceCapability.newBuilder()
        .setRpc(NodeServiceCapability.RPC.newBuilder().setType(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME))
        .build();
    return CompletableFuture.completedFuture(NodeGetCapabilitiesResponse.newBuilder().addCapabilities(stage).build());
  }

  /** The node id; no volume limit (0 = unlimited) and no topology, as upstream. */
  @Override
  public CompletionStage<NodeGetInfoResponse> nodeGetInfo(NodeGetInfoRequest in) {
    return CompletableFuture.completedFuture(NodeGetInfoResponse.newBuilder().setNodeId(nodeId).build());
  }

  /** The call's own deadline (read on the gRPC thread, where its Context is), or kubelet's CSI timeout. */
  private static Deadline deadline() {
    Deadline deadline = Context.current().getDeadline();
    return deadline != null ? deadline : Deadline.after(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** What is left of the call's deadline. */
  private static Duration remaining(Deadline deadline) {
    return Duration.ofMillis(Math.max(deadline.timeRemaining(TimeUnit.MILLISECONDS), 1));
  }

  /** The volume actors, or TIMEOUT if the driver's core is not up within the call's deadline. */
  private CompletableFuture<VolumeCalls> volumes(Deadline deadline) {
    return core.volumes().toCompletableFuture().copy()
        .orTimeout(remaining(deadline).toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(failure -> CompletableFuture.failedFuture(
            failure instanceof java.util.concurrent.TimeoutException
                ? new DriverException(FailureKind.TIMEOUT, "the driver is still starting; retry")
                : failure));
  }


  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new DriverException(FailureKind.INVALID_REQUEST, message);
    }
  }
}
