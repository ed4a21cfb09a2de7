package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 item 2: an unpublish deletes the volume's files, then its unmount fails with EBUSY (a
 * process works inside the tmpfs, as in {@code csi/BusyUnmountTest}), then the driver is SIGKILLed
 * and started again. Its status object still names the volume, whose tmpfs is empty: recovery adopts
 * it as emptied for its pod. Another pod's publish to that target is refused (ALREADY_EXISTS) and
 * writes nothing into it; the owner's republish fetches the files again and is OK.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Integration
class EmptiedVolumeAfterSigkillTest {
  static KubernetesClient client;

  @Test
  void anEmptiedVolumeIsAdoptedForItsPod() throws Exception {
    try (DriverNode node = DriverNode.cluster("sscsi-emptied-", client.getMasterUrl().toString())) {
      emptiedThenRestarted(node);
    }
  }

  private static void emptiedThenRestarted(DriverNode node) throws Exception {
    Path root = node.root;
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "spc", "keeper", Map.of("objects", "x"));
    cluster.secretProviderClass("ns", "other", "keeper", Map.of("objects", "y"));
    String uid = cluster.pod("ns", "web", "u-web");
    String intruderUid = cluster.pod("ns", "intruder", "u-intruder");
    Path target = DriverSigkillTest.target(root, uid);
    var owner = Requests.publish(target, "ns", "web", uid, "spc").build();
    var foreign = Requests.publish(target, "ns", "intruder", intruderUid, "other").build();
    Process busy = null;
    try (TestProvider provider = TestProvider.start(node.providers, "keeper")) {
      provider.answerNow(TestProvider.files(Map.of("key", "mine")));
      DriverChild driver = node.start("driver-1.log");
      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.OK, csi.publish(owner).getCode());
        busy = new ProcessBuilder("sleep", "300").directory(target.toFile()).start(); // its cwd pins the mount
        assertNotEquals(Status.Code.OK, csi.unpublish("secrets", target).getCode(), "the unmount is busy");
      }
      assertFalse(Files.exists(target.resolve("key")), "the files were deleted before the unmount failed");
      assertEquals(List.of(target), CutPublishTest.mountPoints(root), "the emptied tmpfs stays mounted");

      driver.kill();
      provider.answerNow(TestProvider.files(Map.of("key", "theirs")));
      driver = node.start("driver-2.log");
      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.ALREADY_EXISTS, csi.publish(foreign).getCode(), "another pod's publish");
        assertFalse(Files.exists(target.resolve("key")), "nothing written for the other pod");

        provider.answerNow(TestProvider.files(Map.of("key", "mine")));
        int calls = provider.requests.size();
        assertEquals(Status.Code.OK, csi.publish(owner).getCode(), "the owner's republish");
        assertEquals(calls + 1, provider.requests.size(), "it fetched the files again");
        assertEquals("mine", Files.readString(target.resolve("key")));

        busy.destroyForcibly();
        assertTrue(busy.waitFor(30, TimeUnit.SECONDS));
        assertEquals(Status.Code.OK, csi.unpublish("secrets", target).getCode());
      }
      assertFalse(Files.exists(target));
    } finally {
      if (busy != null) {
        busy.destroyForcibly();
        busy.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
