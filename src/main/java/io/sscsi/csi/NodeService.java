package io.sscsi.csi;

import io.grpc.Context;
import io.grpc.Deadline;
import io.sscsi.csi.v1.*;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.volume.PublishRequest;
import io.sscsi.volume.VolumeRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * CSI Node: validates kubelet's requests ({@link CsiRequests}) and asks the {@link VolumeRouter},
 * with the call's own deadline (less a margin to answer in) as the ask timeout. No logic of its own.
 * It is served before the driver's core is up ({@link CoreGate}): the calls that need no volume are
 * answered at once, publish and unpublish wait for the volume actors within their deadline.
 */
public final class NodeService implements Node {
  private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration ANSWER_MARGIN = Duration.ofMillis(200);

  private final CoreGate core;
  private final String nodeId;

  public NodeService(CoreGate core, String nodeId) {
    this.core = core;
    this.nodeId = nodeId;
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
    Deadline deadline = deadline();
    return volumes(deadline).thenCompose(calls -> AskPattern.<VolumeRouter.Command, org.apache.pekko.Done>askWithStatus(
            calls.router(), replyTo -> new VolumeRouter.Publish(request, replyTo), timeout(deadline), calls.scheduler()))
        .whenComplete((done, failure) -> {
          if (failure != null && DriverException.unwrap(failure).isEmpty()) {
            DriverMetrics.publishError(providerLabel, DriverException.of(failure).errorType());
          }
        })
        .thenApply(done -> NodePublishVolumeResponse.getDefaultInstance());
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
    Deadline deadline = deadline();
    return volumes(deadline).thenCompose(calls -> AskPattern.<VolumeRouter.Command, org.apache.pekko.Done>askWithStatus(
            calls.router(), replyTo -> new VolumeRouter.Unpublish(target, replyTo), timeout(deadline), calls.scheduler()))
        .whenComplete((done, failure) -> {
          if (failure != null && DriverException.unwrap(failure).isEmpty()) {
            DriverMetrics.unpublishError();
          }
        })
        .thenApply(done -> NodeUnpublishVolumeResponse.getDefaultInstance());
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

  /** The call's own deadline (read on the gRPC thread, where its Context is), or the default. */
  private static Deadline deadline() {
    Deadline deadline = Context.current().getDeadline();
    return deadline != null ? deadline : Deadline.after(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static Duration timeout(Deadline deadline) {
    long remaining = deadline.timeRemaining(TimeUnit.MILLISECONDS) - ANSWER_MARGIN.toMillis();
    return Duration.ofMillis(Math.max(remaining, 1));
  }

  /** The volume actors, or TIMEOUT if the driver's core is not up within the call's deadline. */
  private CompletableFuture<VolumeCalls> volumes(Deadline deadline) {
    return core.volumes().toCompletableFuture().copy()
        .orTimeout(timeout(deadline).toMillis(), TimeUnit.MILLISECONDS)
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
