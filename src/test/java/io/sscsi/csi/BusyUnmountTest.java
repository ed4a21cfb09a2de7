package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 4 against the real driver, rotation off (the default): a process working inside the
 * volume makes the unmount fail with EBUSY after the driver has deleted the files. kubelet's next
 * republish must not be answered OK on the empty volume: it fetches and writes again, and a failed
 * fetch is kubelet's error.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class BusyUnmountTest {
  static KubernetesClient client;

  @Test
  void aVolumeEmptiedByAFailedUnmountIsNeverReportedGood() throws Exception {
    AtomicReference<Status> providerFails = new AtomicReference<>();
    try (DriverHarness driver = DriverHarness.start(client);
        TestProvider provider = driver.provider("keeper").answer(r -> providerFails.get() != null
            ? CompletableFuture.failedFuture(providerFails.get().asRuntimeException())
            : CompletableFuture.completedFuture(TestProvider.file("foo", 0644, "secret").toBuilder()
                .setObjectVersion(0, ObjectVersion.newBuilder().setId("secret/foo").setVersion("v1")).build()));
        CsiClient csi = driver.client()) {
      new Cluster(client).secretProviderClass("ns", "spc", "keeper", Map.of("objects", "foo"));
      Path target = driver.target("uid-busy", "v");
      var publish = Requests.publish(target, "ns", "pod", "uid-busy", "spc").build();
      assertEquals(Status.Code.OK, csi.publish(publish).getCode());

      Process busy = new ProcessBuilder("sleep", "300").directory(target.toFile()).start(); // its cwd pins the mount
      try {
        Status failed = csi.unpublish("v", target);
        assertNotEquals(Status.Code.OK, failed.getCode(), "the unmount is busy");
        assertFalse(Files.exists(target.resolve("foo")), "the files were deleted before the unmount failed");

        providerFails.set(Status.PERMISSION_DENIED.withDescription("denied"));
        assertEquals(Status.Code.PERMISSION_DENIED, csi.publish(publish).getCode(),
            "a republish into the empty volume fetches, and its failure reaches kubelet");
        providerFails.set(null);
        assertEquals(Status.Code.OK, csi.publish(publish).getCode());
        assertEquals("secret", Files.readString(target.resolve("foo")), "fetched and written again");
      } finally {
        busy.destroyForcibly();
        assertTrue(busy.waitFor(30, TimeUnit.SECONDS));
      }
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
      assertFalse(Files.exists(target));
    }
  }
}
