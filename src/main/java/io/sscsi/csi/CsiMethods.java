package io.sscsi.csi;

import static io.sscsi.grpc.UnaryMethods.of;

import io.grpc.MethodDescriptor;
import io.sscsi.csi.v1.*;

/** The CSI v1 RPCs this driver serves, as grpc-java method descriptors (server and clients share them). */
public final class CsiMethods {
  private CsiMethods() {}

  public static final String IDENTITY = "csi.v1.Identity";
  public static final String NODE = "csi.v1.Node";
  public static final String CONTROLLER = "csi.v1.Controller";

  public static final MethodDescriptor<GetPluginInfoRequest, GetPluginInfoResponse> GET_PLUGIN_INFO =
      of(IDENTITY, "GetPluginInfo", GetPluginInfoRequest.getDefaultInstance(), GetPluginInfoResponse.getDefaultInstance());
  public static final MethodDescriptor<GetPluginCapabilitiesRequest, GetPluginCapabilitiesResponse>
      GET_PLUGIN_CAPABILITIES =
          of(IDENTITY, "GetPluginCapabilities", GetPluginCapabilitiesRequest.getDefaultInstance(),
              GetPluginCapabilitiesResponse.getDefaultInstance());
  public static final MethodDescriptor<ProbeRequest, ProbeResponse> PROBE =
      of(IDENTITY, "Probe", ProbeRequest.getDefaultInstance(), ProbeResponse.getDefaultInstance());

  public static final MethodDescriptor<NodeStageVolumeRequest, NodeStageVolumeResponse> NODE_STAGE =
      of(NODE, "NodeStageVolume", NodeStageVolumeRequest.getDefaultInstance(), NodeStageVolumeResponse.getDefaultInstance());
  public static final MethodDescriptor<NodeUnstageVolumeRequest, NodeUnstageVolumeResponse> NODE_UNSTAGE =
      of(NODE, "NodeUnstageVolume", NodeUnstageVolumeRequest.getDefaultInstance(),
          NodeUnstageVolumeResponse.getDefaultInstance());
  public static final MethodDescriptor<NodePublishVolumeRequest, NodePublishVolumeResponse> NODE_PUBLISH =
      of(NODE, "NodePublishVolume", NodePublishVolumeRequest.getDefaultInstance(),
          NodePublishVolumeResponse.getDefaultInstance());
  public static final MethodDescriptor<NodeUnpublishVolumeRequest, NodeUnpublishVolumeResponse> NODE_UNPUBLISH =
      of(NODE, "NodeUnpublishVolume", NodeUnpublishVolumeRequest.getDefaultInstance(),
          NodeUnpublishVolumeResponse.getDefaultInstance());
  public static final MethodDescriptor<NodeGetVolumeStatsRequest, NodeGetVolumeStatsResponse> NODE_GET_VOLUME_STATS =
      of(NODE, "NodeGetVolumeStats", NodeGetVolumeStatsRequest.getDefaultInstance(),
          NodeGetVolumeStatsResponse.getDefaultInstance());
  public static final MethodDescriptor<NodeExpandVolumeRequest, NodeExpandVolumeResponse> NODE_EXPAND =
      of(NODE, "NodeExpandVolume", NodeExpandVolumeRequest.getDefaultInstance(), NodeExpandVolumeResponse.getDefaultInstance());
  public static final MethodDescriptor<NodeGetCapabilitiesRequest, NodeGetCapabilitiesResponse> NODE_GET_CAPABILITIES =
      of(NODE, "NodeGetCapabilities", NodeGetCapabilitiesRequest.getDefaultInstance(),
          NodeGetCapabilitiesResponse.getDefaultInstance());
  public static final MethodDescriptor<NodeGetInfoRequest, NodeGetInfoResponse> NODE_GET_INFO =
      of(NODE, "NodeGetInfo", NodeGetInfoRequest.getDefaultInstance(), NodeGetInfoResponse.getDefaultInstance());

  public static final MethodDescriptor<ControllerGetCapabilitiesRequest, ControllerGetCapabilitiesResponse>
      CONTROLLER_GET_CAPABILITIES =
          of(CONTROLLER, "ControllerGetCapabilities", ControllerGetCapabilitiesRequest.getDefaultInstance(),
              ControllerGetCapabilitiesResponse.getDefaultInstance());
}
