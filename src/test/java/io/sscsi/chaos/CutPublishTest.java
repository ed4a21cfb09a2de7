package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
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
 * Issue 19 item 3: the same when the republish fails at reading its class (gone: NOT_FOUND; an
 * invalid provider name: FAILED_PRECONDITION), which a publish reads only after the target.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Integration
class CutPublishTest {
  static KubernetesClient client;

  @Test
  void aCutPublishWhoseRepublishFailsLeavesNoMount() throws Exception {
    new Cluster(client).secretProviderClass("ns", "spc", "keeper", Map.of("objects", "x"));
    cutThenRepublish("spc", provider -> provider.answer(request -> CompletableFuture.failedFuture(
        Status.PERMISSION_DENIED.withDescription("no access to x").asRuntimeException())),
        Status.Code.PERMISSION_DENIED);
  }

  /** Issue 19 item 3: the class is deleted before the restart; the republish decides the target first. */
  @Test
  void aCutPublishWhoseClassIsGoneLeavesNoMount() throws Exception {
    new Cluster(client).secretProviderClass("ns", "gone", "keeper", Map.of("objects", "x"));
    cutThenRepublish("gone", provider -> client.genericKubernetesResources(Cluster.SPC).inNamespace("ns")
        .withName("gone").delete(), Status.Code.NOT_FOUND);
  }

  /** Issue 19 item 3: the class names an invalid provider when the republish comes. */
  @Test
  void aCutPublishWhoseClassNamesAnInvalidProviderLeavesNoMount() throws Exception {
    new Cluster(client).secretProviderClass("ns", "bad", "keeper", Map.of("objects", "x"));
    cutThenRepublish("bad", provider -> new Cluster(client).secretProviderClass("ns", "bad", "no such/provider",
        Map.of("objects", "x")), Status.Code.FAILED_PRECONDITION);
  }

  /**
   * Publishes a volume of class {@code spc}, SIGKILLs the driver while the provider holds the call
   * (the tmpfs is mounted, nothing written), applies {@code beforeRestart}, starts the driver again
   * and republishes: the republish fails with {@code expected} and leaves no mount, no directory, and
   * nothing in {@code /volumes}.
   */
  private void cutThenRepublish(String spc, java.util.function.Consumer<TestProvider> beforeRestart,
      Status.Code expected) throws Exception {
    try (DriverNode node = DriverNode.cluster("sscsi-cut-", client.getMasterUrl().toString())) {
      cutThenRepublish(node, spc, beforeRestart, expected);
    }
  }

  private static void cutThenRepublish(DriverNode node, String spc,
      java.util.function.Consumer<TestProvider> beforeRestart, Status.Code expected) throws Exception {
    Path root = node.root;
    Cluster cluster = new Cluster(client);
    String uid = cluster.pod("ns", "pod-0", "u0");
    Path target = DriverSigkillTest.target(root, uid);
    ExecutorService kubelet = Executors.newSingleThreadExecutor();
    try (TestProvider provider = TestProvider.start(node.providers, "keeper")) {
      CompletableFuture<Void> called = new CompletableFuture<>();
      provider.answer(request -> { // holds the call: the driver dies first
        called.complete(null);
        return new CompletableFuture<MountResponse>();
      });
      DriverChild driver = node.start("driver-1.log");
      Path socket = driver.socket;
      kubelet.submit(() -> publish(socket, target, uid, spc));
      called.get(60, TimeUnit.SECONDS); // the driver mounted, then called the provider
      assertEquals(List.of(target), mountPoints(root), "the cut publish mounted its tmpfs");

      driver.kill();
      assertEquals(List.of(target), mountPoints(root), "the tmpfs outlives the driver");
      beforeRestart.accept(provider);

      driver = node.start("driver-2.log");
      Status republish = publish(driver.socket, target, uid, spc);

      assertEquals(expected, republish.getCode(), republish.toString());
      assertEquals(List.of(), mountPoints(root), "the failed publish undid the cut one's tmpfs");
      assertFalse(Files.exists(target), "and removed its directory");
      driver.awaitAdmin("/volumes", body -> DriverSigkillTest.count(body) == 0, Duration.ofSeconds(30));
    } finally {
      kubelet.shutdownNow();
    }
  }

  static Status publish(Path socket, Path target, String uid, String spc) {
    try (CsiClient csi = new CsiClient(socket)) {
      return csi.publish(Requests.publish(target, "ns", "pod-0", uid, spc).build());
    }
  }

  static List<Path> mountPoints(Path root) {
    return DriverSigkillTest.mounts(root).stream().map(MountEntry::mountPoint).toList();
  }
}
