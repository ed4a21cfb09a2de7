package io.sscsi.csi;

import com.google.protobuf.BoolValue;
import io.sscsi.csi.v1.*;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

/** CSI Identity: the plugin's name and version, its capabilities (as upstream), and Probe. */
public final class IdentityService implements Identity {
  private final String driverName;
  private final String version;
  private final BooleanSupplier ready;

  public IdentityService(String driverName, String version, BooleanSupplier ready) {
    this.driverName = driverName;
    this.version = version;
    this.ready = ready;
  }

  @Override
  public CompletionStage<GetPluginInfoResponse> getPluginInfo(GetPluginInfoRequest in) {
    return CompletableFuture.completedFuture(
        GetPluginInfoResponse.newBuilder().setName(driverName).setVendorVersion(version).build());
  }

  /** Upstream advertises the controller service (every controller RPC is unimplemented); we keep that. */
  @Override
  public CompletionStage<GetPluginCapabilitiesResponse> getPluginCapabilities(GetPluginCapabilitiesRequest in) {
    PluginCapability controller = PluginCapability.newBuilder()
        .setService(PluginCapability.Service.newBuilder().setType(PluginCapability.Service.Type.CONTROLLER_SERVICE))
        .build();
    return CompletableFuture.completedFuture(
        GetPluginCapabilitiesResponse.newBuilder().addCapabilities(controller).build());
  }

  @Override
  public CompletionStage<ProbeResponse> probe(ProbeRequest in) {
    return CompletableFuture.completedFuture(
        ProbeResponse.newBuilder().setReady(BoolValue.of(ready.getAsBoolean())).build());
  }
}
