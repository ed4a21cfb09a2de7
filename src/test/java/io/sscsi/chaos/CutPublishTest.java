package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 2: a publish cut by SIGKILL after the driver mounted the tmpfs and before the
 * provider answered, then a restarted driver whose next publish of that volume fails (the provider
 * answers PERMISSION_DENIED). kubelet sends no unpublish after that final error, so the failed
 * publish itself must undo the cut one: no tmpfs and no directory are left, and {@code /volumes}
 * shows nothing. The driver is its own OS process; the kill comes once the provider holds the call.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Integration
class CutPublishTest {
  static KubernetesClient client;

  @Test
  void aCutPublishWhoseRepublishFailsLeavesNoMount() throws Exception {
    Path root = Files.createTempDirectory("sscsi-cut-");
    Path providers = Files.createDirectories(root.resolve("providers"));
    Path kubeconfig = DriverChild.kubeconfig(root, client.getMasterUrl().toString());
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "spc", "keeper", Map.of("objects", "x"));
    String uid = cluster.pod("ns", "pod-0", "u0");
    Path target = DriverSigkillTest.target(root, uid);
    ExecutorService kubelet = Executors.newSingleThreadExecutor();
    DriverChild driver = null;
    try (TestProvider provider = TestProvider.start(providers, "keeper")) {
      CompletableFuture<Void> called = new CompletableFuture<>();
      provider.answer(request -> { // holds the call: the driver dies first
        called.complete(null);
        return new CompletableFuture<MountResponse>();
      });
      driver = DriverChild.start(root, providers, kubeconfig, "driver-1.log");
      Path socket = driver.socket;
      kubelet.submit(() -> publish(socket, target, uid));
      called.get(60, TimeUnit.SECONDS); // the driver mounted, then called the provider
      assertEquals(List.of(target), mountPoints(root), "the cut publish mounted its tmpfs");

      driver.kill();
      assertEquals(List.of(target), mountPoints(root), "the tmpfs outlives the driver");
      provider.answer(request -> CompletableFuture.failedFuture(
          Status.PERMISSION_DENIED.withDescription("no access to x").asRuntimeException()));

      driver = DriverChild.start(root, providers, kubeconfig, "driver-2.log");
      Status republish = publish(driver.socket, target, uid);

      assertEquals(Status.Code.PERMISSION_DENIED, republish.getCode(), republish.toString());
      assertEquals(List.of(), mountPoints(root), "the failed publish undid the cut one's tmpfs");
      assertFalse(Files.exists(target), "and removed its directory");
      driver.awaitAdmin("/volumes", body -> DriverSigkillTest.count(body) == 0, Duration.ofSeconds(30));
    } finally {
      kubelet.shutdownNow();
      if (driver != null) {
        driver.close();
      }
      JnrMounter mounter = new JnrMounter();
      DriverSigkillTest.mounts(root).forEach(m -> mounter.unmount(m.mountPoint()));
    }
  }

  static Status publish(Path socket, Path target, String uid) {
    try (CsiClient csi = new CsiClient(socket)) {
      return csi.publish(Requests.publish(target, "ns", "pod-0", uid, "spc").build());
    }
  }

  static List<Path> mountPoints(Path root) {
    return DriverSigkillTest.mounts(root).stream().map(MountEntry::mountPoint).toList();
  }
}
