package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Status;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 item 6, against the driver process and fabric8's mock API server (CRUD mode, which has no
 * garbage collector: the test deletes what GC would). Rotation on; a pod is force-deleted while its
 * volume (with a synced Secret) is mounted, and GC removes its status object and the Secret. Then the
 * provider's content changes on every call, so every timer refresh is content-changing. The first
 * such refresh finds the status object gone, reads the pod (404), and from then on the volume writes
 * no status object and owns no Secret: neither is created again, until kubelet's unpublish.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Integration
class DeletedPodRotationTest {
  static KubernetesClient client;
  static KubernetesMockServer server;

  @Test
  void aDeletedPodsStatusAndSecretAreNotCreatedAgain() throws Exception {
    try (DriverNode node = DriverNode.cluster("sscsi-deleted-pod-", client.getMasterUrl().toString())) {
      deletedWhileMounted(node);
    }
  }

  private static void deletedWhileMounted(DriverNode node) throws Exception {
    Path root = node.root;
    new Cluster(client).secretProviderClass("ns", "spc", Map.of("provider", "keeper",
        "parameters", Map.of("objects", "x"),
        "secretObjects", List.of(Map.of("secretName", "mirror", "type", "Opaque",
            "data", List.of(Map.of("objectName", "key", "key", "k"))))));
    String uid = new Cluster(client).pod("ns", "web", "u-web");
    Path target = DriverSigkillTest.target(root, uid);
    try (TestProvider provider = TestProvider.start(node.providers, "keeper")) {
      provider.answerNow(TestProvider.files(Map.of("key", "v1")));
      DriverChild driver = node.start("driver.log",
          "--enable-secret-rotation=true", "--rotation-poll-interval=1s");
      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "ns", "web", uid, "spc").build()).getCode());
      }
      AdoptedVolumeAfterSigkillTest.eventually(() -> client.secrets().inNamespace("ns").withName("mirror").get(),
          s -> s != null && AdoptedVolumeAfterSigkillTest.owners(s).equals(List.of("web-ns-spc")),
          "the synced Secret, owned by the pod's status object");
      assertNotNull(new Cluster(client).podStatus("ns", "web-ns-spc"));

      client.pods().inNamespace("ns").withName("web").withGracePeriod(0).delete(); // force-deleted
      client.genericKubernetesResources(Cluster.SPCPS).inNamespace("ns").withName("web-ns-spc").delete(); // as GC
      client.secrets().inNamespace("ns").withName("mirror").delete(); // as GC, its only owner gone
      drain();
      AtomicInteger version = new AtomicInteger(1);
      provider.answer(request -> CompletableFuture.completedFuture(changed(version.incrementAndGet())));
      int calls = provider.requests.size();
      AdoptedVolumeAfterSigkillTest.eventually(() -> provider.requests.size(), n -> n >= calls + 3,
          "three timer refreshes with new content");

      assertNull(new Cluster(client).podStatus("ns", "web-ns-spc"), "no status object for the deleted pod");
      assertNull(client.secrets().inNamespace("ns").withName("mirror").get(), "no Secret owned by it");
      List<String> requests = drain();
      assertTrue(requests.contains("GET /api/v1/namespaces/ns/pods/web"), "the pod was read: " + requests);
      assertTrue(requests.stream().noneMatch(r -> r.startsWith("POST ")), "nothing created: " + requests);
      assertTrue(Files.readString(target.resolve("key")).startsWith("v"), "the files still refresh");

      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode(), "kubelet's unpublish");
      }
      assertFalse(Files.exists(target));
    }
  }

  /** Content and object version {@code n}. */
  static MountResponse changed(int n) {
    return TestProvider.files(Map.of("key", "v" + n)).toBuilder()
        .setObjectVersion(0, ObjectVersion.newBuilder().setId("secret/key").setVersion("v" + n)).build();
  }

  /** The requests the mock has recorded since the last drain, as "METHOD path" without the query. */
  static List<String> drain() throws InterruptedException {
    List<String> out = new ArrayList<>();
    for (var r = server.takeRequest(1, TimeUnit.MILLISECONDS); r != null; r = server.takeRequest(1, TimeUnit.MILLISECONDS)) {
      String path = r.getPath();
      out.add(r.getMethod() + " " + (path.contains("?") ? path.substring(0, path.indexOf('?')) : path));
    }
    return out;
  }
}
