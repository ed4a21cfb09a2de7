package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.sscsi.csi.v1.*;
import io.sscsi.grpc.UnaryMethods;
import io.sscsi.grpc.UnixChannels;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The csi-sanity cases upstream runs (Identity, Node argument validation, NodeGetInfo,
 * NodeGetCapabilities), plus idempotency, replayed by a grpc-java client over the real socket.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class CsiConformanceTest {
  static KubernetesClient client;
  static DriverHarness driver;
  static CsiClient csi;

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client);
    csi = driver.client();
  }

  @AfterAll
  static void stop() throws Exception {
    csi.close();
    driver.close();
  }

  @Test
  void getPluginInfoNamesTheDriverAndItsVersion() {
    GetPluginInfoResponse info = csi.call(CsiMethods.GET_PLUGIN_INFO, GetPluginInfoRequest.getDefaultInstance());
    assertEquals("secrets-store.csi.k8s.io", info.getName());
    assertFalse(info.getVendorVersion().isEmpty());
  }

  @Test
  void pluginCapabilitiesAreUpstreams() {
    var caps = csi.call(CsiMethods.GET_PLUGIN_CAPABILITIES, GetPluginCapabilitiesRequest.getDefaultInstance());
    assertEquals(1, caps.getCapabilitiesCount());
    assertEquals(PluginCapability.Service.Type.CONTROLLER_SERVICE, caps.getCapabilities(0).getService().getType());
  }

  @Test
  void probeIsReady() {
    assertTrue(csi.call(CsiMethods.PROBE, ProbeRequest.getDefaultInstance()).getReady().getValue());
  }

  @Test
  void nodeGetInfoReturnsTheNodeIdAndNoLimit() {
    NodeGetInfoResponse info = csi.call(CsiMethods.NODE_GET_INFO, NodeGetInfoRequest.getDefaultInstance());
    assertEquals("node-1", info.getNodeId());
    assertEquals(0, info.getMaxVolumesPerNode());
  }

  @Test
  void nodeGetCapabilitiesIsStageUnstageOnly() {
    var caps = csi.call(CsiMethods.NODE_GET_CAPABILITIES, NodeGetCapabilitiesRequest.getDefaultInstance());
    assertEquals(1, caps.getCapabilitiesCount());
    assertEquals(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME, caps.getCapabilities(0).getRpc().getType());
  }

  static Stream<Arguments> invalidPublishRequests() {
    return Stream.of(
        Arguments.of("no volume id", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.clearVolumeId()),
        Arguments.of("no target path", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.clearTargetPath()),
        Arguments.of("no volume capability", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.clearVolumeCapability()),
        Arguments.of("no volume context", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.clearVolumeContext()),
        Arguments.of("not readonly", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.setReadonly(false)),
        Arguments.of("no secretProviderClass", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.removeVolumeContext("secretProviderClass")),
        Arguments.of("no pod name", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.removeVolumeContext("csi.storage.k8s.io/pod.name")),
        Arguments.of("no pod namespace", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.removeVolumeContext("csi.storage.k8s.io/pod.namespace")),
        Arguments.of("no pod uid", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.removeVolumeContext("csi.storage.k8s.io/pod.uid")),
        Arguments.of("relative target path", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.setTargetPath("relative/mount")),
        Arguments.of("target path with ..", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.setTargetPath(b.getTargetPath() + "/../../escape")),
        Arguments.of("block access", (UnaryOperator<NodePublishVolumeRequest.Builder>) b -> b.setVolumeCapability(
            VolumeCapability.newBuilder().setBlock(VolumeCapability.BlockVolume.getDefaultInstance()))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidPublishRequests")
  void invalidPublishIsInvalidArgumentAndChangesNothing(String name, UnaryOperator<NodePublishVolumeRequest.Builder> breakIt) {
    Path target = driver.target("uid-bad", "v");
    Status status = csi.publish(breakIt.apply(Requests.publish(target, "ns", "pod", "uid-bad", "spc")).build());
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), name);
    assertNotNull(status.getDescription());
    assertFalse(Files.exists(target.getParent()), "nothing created for a bad request");
    assertTrue(driver.mounts().isEmpty());
  }

  @Test
  void invalidUnpublishIsInvalidArgument() {
    assertEquals(Status.Code.INVALID_ARGUMENT, csi.status(CsiMethods.NODE_UNPUBLISH,
        NodeUnpublishVolumeRequest.newBuilder().setTargetPath("/tmp/x").build()).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, csi.status(CsiMethods.NODE_UNPUBLISH,
        NodeUnpublishVolumeRequest.newBuilder().setVolumeId("v").build()).getCode());
  }

  @Test
  void unpublishOfANeverPublishedTargetSucceeds() {
    assertEquals(Status.Code.OK, csi.unpublish("v", driver.target("uid-never", "v")).getCode());
    assertEquals(Status.Code.OK, csi.unpublish("v", driver.target("uid-never", "v")).getCode());
  }

  @Test
  void stageAndUnstageValidateTheirArguments() {
    assertEquals(Status.Code.INVALID_ARGUMENT, csi.status(CsiMethods.NODE_STAGE, NodeStageVolumeRequest.newBuilder()
        .setStagingTargetPath("/tmp/s").setVolumeCapability(Requests.mountCapability()).build()).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, csi.status(CsiMethods.NODE_STAGE, NodeStageVolumeRequest.newBuilder()
        .setVolumeId("v").setVolumeCapability(Requests.mountCapability()).build()).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, csi.status(CsiMethods.NODE_STAGE, NodeStageVolumeRequest.newBuilder()
        .setVolumeId("v").setStagingTargetPath("/tmp/s").build()).getCode());
    assertEquals(Status.Code.OK, csi.status(CsiMethods.NODE_STAGE, NodeStageVolumeRequest.newBuilder()
        .setVolumeId("v").setStagingTargetPath("/tmp/s").setVolumeCapability(Requests.mountCapability()).build()).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, csi.status(CsiMethods.NODE_UNSTAGE,
        NodeUnstageVolumeRequest.newBuilder().setVolumeId("v").build()).getCode());
    assertEquals(Status.Code.OK, csi.status(CsiMethods.NODE_UNSTAGE,
        NodeUnstageVolumeRequest.newBuilder().setVolumeId("v").setStagingTargetPath("/tmp/s").build()).getCode());
  }

  @Test
  void unsupportedRpcsAreUnimplemented() {
    assertEquals(Status.Code.UNIMPLEMENTED, csi.status(CsiMethods.NODE_EXPAND,
        NodeExpandVolumeRequest.newBuilder().setVolumeId("v").setVolumePath("/tmp/x").build()).getCode());
    assertEquals(Status.Code.UNIMPLEMENTED, csi.status(CsiMethods.NODE_GET_VOLUME_STATS,
        NodeGetVolumeStatsRequest.newBuilder().setVolumeId("v").setVolumePath("/tmp/x").build()).getCode());
    var createVolume = UnaryMethods.of(CsiMethods.CONTROLLER, "CreateVolume",
        CreateVolumeRequest.getDefaultInstance(), CreateVolumeResponse.getDefaultInstance());
    assertEquals(Status.Code.UNIMPLEMENTED, csi.status(createVolume, CreateVolumeRequest.newBuilder().setName("x").build()).getCode());
    var caps = csi.call(CsiMethods.CONTROLLER_GET_CAPABILITIES, ControllerGetCapabilitiesRequest.getDefaultInstance());
    assertEquals(ControllerServiceCapability.RPC.Type.UNKNOWN, caps.getCapabilities(0).getRpc().getType());
  }

  @Test
  void grpcJavaClientWithThePathAuthorityIsServedToo() throws Exception {
    ManagedChannel channel = UnixChannels.builder(driver.socket).build(); // no authority override
    try {
      var info = ClientCalls.blockingUnaryCall(channel, CsiMethods.GET_PLUGIN_INFO,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), GetPluginInfoRequest.getDefaultInstance());
      assertEquals("secrets-store.csi.k8s.io", info.getName());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
