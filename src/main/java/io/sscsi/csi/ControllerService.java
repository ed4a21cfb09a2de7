package io.sscsi.csi;

import io.grpc.ServerServiceDefinition;
import io.sscsi.csi.v1.ControllerGetCapabilitiesResponse;
import io.sscsi.csi.v1.ControllerServiceCapability;
import io.sscsi.grpc.ServiceBinder;
import java.util.concurrent.CompletableFuture;

/**
 * CSI Controller: this is a node-only driver of ephemeral volumes. Only ControllerGetCapabilities
 * answers (one capability of type UNKNOWN, as upstream); every other controller RPC is not bound,
 * so gRPC answers UNIMPLEMENTED.
 */
final class ControllerService {
  private ControllerService() {}

  static ServerServiceDefinition definition(ServiceBinder.CallObserver observer) {
    ControllerGetCapabilitiesResponse capabilities = ControllerGetCapabilitiesResponse.newBuilder()
        .addCapabilities(ControllerServiceCapability.newBuilder()
            .setRpc(ControllerServiceCapability.RPC.newBuilder()
                .setType(ControllerServiceCapability.RPC.Type.UNKNOWN)))
        .build();
    return ServiceBinder.service(CsiMethods.CONTROLLER, observer)
        .unary(CsiMethods.CONTROLLER_GET_CAPABILITIES, request -> CompletableFuture.completedFuture(capabilities))
        .build();
  }
}
