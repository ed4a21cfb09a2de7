package io.sscsi.csi;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.csi.v1.NodeGetInfoRequest;
import io.sscsi.csi.v1.ProbeRequest;
import io.sscsi.grpc.UnixChannels;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import io.sscsi.errors.GrpcErrors;
import io.sscsi.grpc.ServiceBinder;
import io.sscsi.grpc.UnixSocketServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the CSI Identity, Node and Controller services to kubelet's unix socket. Each call is
 * logged once, with its duration and the request as {@link LogSanitizer} renders it: successes at
 * DEBUG, failures at INFO with their status code.
 */
public final class CsiServer {
  private static final Logger LOG = LoggerFactory.getLogger(CsiServer.class);
  private static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;
  private static final Duration WARM_UP_DEADLINE = Duration.ofSeconds(60);

  private CsiServer() {}

  public static UnixSocketServer start(Path socket, IdentityService identity, NodeService node, Executor executor)
      throws IOException {
    ServiceBinder.CallObserver log = CsiServer::logCall;
    return UnixSocketServer.start(socket, List.of(
        ServiceBinder.service(CsiMethods.IDENTITY, log)
            .unary(CsiMethods.GET_PLUGIN_INFO, identity::getPluginInfo)
            .unary(CsiMethods.GET_PLUGIN_CAPABILITIES, identity::getPluginCapabilities)
            .unary(CsiMethods.PROBE, identity::probe)
            .build(),
        ServiceBinder.service(CsiMethods.NODE, log)
            .unary(CsiMethods.NODE_STAGE, node::nodeStageVolume)
            .unary(CsiMethods.NODE_UNSTAGE, node::nodeUnstageVolume)
            .unary(CsiMethods.NODE_PUBLISH, node::nodePublishVolume)
            .unary(CsiMethods.NODE_UNPUBLISH, node::nodeUnpublishVolume)
            .unary(CsiMethods.NODE_GET_VOLUME_STATS, node::nodeGetVolumeStats)
            .unary(CsiMethods.NODE_EXPAND, node::nodeExpandVolume)
            .unary(CsiMethods.NODE_GET_CAPABILITIES, node::nodeGetCapabilities)
            .unary(CsiMethods.NODE_GET_INFO, node::nodeGetInfo)
            .build(),
        ControllerService.definition(log)),
        executor, MAX_REQUEST_BYTES, CsiServer::firstCalls);
  }

  /**
   * The calls kubelet's registration makes first, answered before the socket file exists, so that
   * the registrar's first GetPluginInfo finds every class it needs loaded (a cold JVM at a fifth of
   * a CPU takes seconds for a first call otherwise).
   */
  private static void firstCalls(Path listeningAt) throws IOException {
    ManagedChannel channel = UnixChannels.open(listeningAt, MAX_REQUEST_BYTES);
    try {
      CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(WARM_UP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      ClientCalls.blockingUnaryCall(channel, CsiMethods.GET_PLUGIN_INFO, options, GetPluginInfoRequest.getDefaultInstance());
      ClientCalls.blockingUnaryCall(channel, CsiMethods.PROBE, options, ProbeRequest.getDefaultInstance());
      ClientCalls.blockingUnaryCall(channel, CsiMethods.NODE_GET_INFO, options, NodeGetInfoRequest.getDefaultInstance());
      LOG.info("the CSI server answered GetPluginInfo, Probe and NodeGetInfo at {}: publishing its socket", listeningAt);
    } catch (StatusRuntimeException e) {
      throw new IOException("the CSI server does not answer its own first calls: " + e.getStatus(), e);
    } finally {
      channel.shutdownNow();
    }
  }

  private static void logCall(String method, Object request, long nanos, Throwable failure) {
    double ms = nanos / 1e6;
    if (failure == null) {
      if (LOG.isDebugEnabled()) {
        LOG.debug("CSI {} ok in {} ms: {}", method, String.format("%.1f", ms), LogSanitizer.describe(request));
      }
      return;
    }
    Status status = GrpcErrors.toStatus(failure);
    LOG.info("CSI {} failed in {} ms with {}: {} (request: {})", method, String.format("%.1f", ms),
        status.getCode(), status.getDescription(), LogSanitizer.describe(request));
  }
}
