package io.sscsi.csi;

import com.google.protobuf.BoolValue;
import io.sscsi.csi.v1.*;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

/**
 * CSI Identity: the plugin's name and version, its capabilities (as upstream), and Probe. Served from
 * the first moment the socket file exists; its first answered GetPluginInfo lets the rest of the
 * driver start ({@link CoreGate}), so nothing the core does at start can delay the registrar.
 */
public final class IdentityService implements Identity {
  private final String driverName;
  private final String version;
  /** Probe's answer; the driver wires {@link CoreGate#healthy()}. */
  private final BooleanSupplier ready;
  private final CoreGate core;

  public IdentityService(String driverName, String version, BooleanSupplier ready, CoreGate core) {
    this.driverName = driverName;
    this.version = version;
    this.ready = ready;
    this.core = core;
  }

  @Override
  public CompletionStage<GetPluginInfoResponse> getPluginInfo(GetPluginInfoRequest in) {
    GetPluginInfoResponse info = GetPluginInfoResponse.newBuilder().setName(driverName).setVendorVersion(version).build();
    core.identityAnswered();
    return CompletableFuture.completedFuture(info);
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
