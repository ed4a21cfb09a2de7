package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The driver as its own OS process, killed with SIGKILL while 100 volumes are mounted, then started
 * again: every volume is still mounted and adopted, admin and metrics agree, republishes are
 * answered without a provider call, and unpublishing everything leaves no mount.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Integration
class DriverSigkillTest {
  static final int VOLUMES = 100;
  static KubernetesClient client;

  @Test
  void sigkillWithAHundredVolumesMountedThenRestart() throws Exception {
    try (DriverNode node = DriverNode.cluster("sscsi-chaos-", client.getMasterUrl().toString())) {
      killedWithAHundredMounted(node);
    }
  }

  private static void killedWithAHundredMounted(DriverNode node) throws Exception {
    Path root = node.root;
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "spc", "keeper", Map.of("objects", "x"));
    List<String> uids = new ArrayList<>();
    for (int i = 0; i < VOLUMES; i++) {
      uids.add(cluster.pod("ns", "pod-" + i, "u" + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try (TestProvider provider = TestProvider.start(node.providers, "keeper")) {
      provider.answerNow(TestProvider.files(Map.of("key", "before-the-crash")));
      DriverChild driver = node.start("driver-1.log");
      assertAll(pool, uids, driver.socket, root, Status.Code.OK);
      assertEquals(VOLUMES, mounts(root).size());

      driver.kill();
      assertEquals(VOLUMES, mounts(root).size(), "the tmpfs volumes outlive the driver");
      assertTrue(Files.exists(driver.socket), "a killed driver leaves its socket file: the restart must remove it");
      int calls = provider.requests.size();

      driver = node.start("driver-2.log");
      String volumes = driver.awaitAdmin("/volumes", body -> count(body) == VOLUMES, Duration.ofSeconds(30));
      assertTrue(volumes.contains("\"state\" : \"adopted\""));
      driver.awaitMetrics(body -> body.contains("sscsi_volumes_mounted " + VOLUMES + ".0"));

      assertAll(pool, uids, driver.socket, root, Status.Code.OK);
      assertEquals(calls, provider.requests.size(), "adopted volumes are answered without a provider call");
      assertEquals(VOLUMES, mounts(root).size(), "no stacked mounts");
      assertEquals("before-the-crash", Files.readString(target(root, uids.get(7)).resolve("key")));

      try (CsiClient csi = new CsiClient(driver.socket)) {
        for (String uid : uids) {
          assertEquals(Status.Code.OK, csi.unpublish("v", target(root, uid)).getCode());
        }
      }
      assertTrue(mounts(root).isEmpty(), "no leaked mount");
      driver.awaitAdmin("/volumes", body -> count(body) == 0, Duration.ofSeconds(30));
    } finally {
      pool.shutdownNow();
    }
  }

  static int count(String volumes) {
    return volumes.split("\"targetPath\"", -1).length - 1;
  }

  static Path target(Path root, String uid) {
    return root.resolve("pods").resolve(uid).resolve("volumes/kubernetes.io~csi/v/mount");
  }

  static void assertAll(ExecutorService pool, List<String> uids, Path socket, Path root, Status.Code expected)
      throws Exception {
    try (CsiClient csi = new CsiClient(socket)) {
      List<Future<Status>> calls = new ArrayList<>();
      for (int i = 0; i < uids.size(); i++) {
        String uid = uids.get(i);
        String pod = "pod-" + i;
        calls.add(pool.submit(() -> csi.publish(Requests.publish(target(root, uid), "ns", pod, uid, "spc").build())));
      }
      for (Future<Status> call : calls) {
        assertEquals(expected, call.get().getCode(), call.get().toString());
      }
    }
  }

  static List<MountEntry> mounts(Path root) {
    return new MountTable().under(root.resolve("pods"));
  }
}
