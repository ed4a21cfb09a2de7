package io.sscsi.testkit;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.*;
import io.sscsi.grpc.UnixChannels;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A plain grpc-java CSI client over the driver's unix socket, dialled as kubelet dials it. */
public final class CsiClient implements AutoCloseable {
  private final ManagedChannel channel;

  public CsiClient(Path socket) {
    this(UnixChannels.open(socket, 16 * 1024 * 1024));
  }

  public CsiClient(ManagedChannel channel) {
    this.channel = channel;
  }

  public <Q, R> R call(MethodDescriptor<Q, R> method, Q request) {
    return ClientCalls.blockingUnaryCall(
        channel, method, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), request);
  }

  /** The status code of a call: OK, or the code it failed with. */
  public <Q, R> Status status(MethodDescriptor<Q, R> method, Q request) {
    try {
      call(method, request);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  public Status publish(NodePublishVolumeRequest request) {
    return status(CsiMethods.NODE_PUBLISH, request);
  }

  /** A publish with kubelet's deadline {@code deadline} instead of the default 60 s. */
  public Status publish(NodePublishVolumeRequest request, java.time.Duration deadline) {
    try {
      ClientCalls.blockingUnaryCall(channel, CsiMethods.NODE_PUBLISH,
          CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS), request);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  public Status unpublish(String volumeId, Path target) {
    return status(CsiMethods.NODE_UNPUBLISH,
        NodeUnpublishVolumeRequest.newBuilder().setVolumeId(volumeId).setTargetPath(target.toString()).build());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
