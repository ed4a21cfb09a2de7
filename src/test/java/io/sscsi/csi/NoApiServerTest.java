package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.Status;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.testkit.*;
import org.junit.jupiter.api.Test;

/** With no API server reachable the driver still starts, serves Identity, and fails publishes clearly. */
@Integration
class NoApiServerTest {

  @Test
  void identityIsServedAndPublishIsUnavailable() throws Exception {
    KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:1").withRequestRetryBackoffLimit(0)
        .withConnectionTimeout(1000).withRequestTimeout(2000).build()).build();
    java.nio.file.Path socket;
    try (DriverHarness driver = DriverHarness.start(unreachable); CsiClient csi = driver.client()) {
      socket = driver.socket;
      assertEquals("secrets-store.csi.k8s.io",
          csi.call(CsiMethods.GET_PLUGIN_INFO, GetPluginInfoRequest.getDefaultInstance()).getName());
      var target = driver.target("u", "v");
      Status status = csi.publish(Requests.publish(target, "ns", "pod", "u", "spc").build());
      assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
      assertTrue(driver.mounts().isEmpty());
    } finally {
      unreachable.close();
    }
    assertFalse(java.nio.file.Files.exists(socket), "CoordinatedShutdown removed the socket file");
  }
}
