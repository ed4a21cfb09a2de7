package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.k8s.KubeTestConnections;
import io.sscsi.status.PodStatus;
import io.sscsi.testkit.*;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A driver that stops without unpublishing (a crash) and a new one on the same node: complete
 * volumes are adopted, an emptied one is never answered as success while empty, volumes of deleted
 * pods are cleaned up, and mounts that are not ours are left alone.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class RestartRecoveryTest {
  static KubernetesClient client;

  @Test
  void aRestartedDriverRecoversItsVolumes() throws Exception {
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "spc", "keeper", Map.of("objects", "x"));
    Map<String, String> uids = new java.util.HashMap<>(); // the API server assigns pod uids
    for (String name : new String[] {"ua", "ub", "ug", "uc"}) {
      uids.put(name, cluster.pod("ns", "pod-" + name, name));
    }
    DriverHarness first = DriverHarness.start(client);
    Path root = first.root;
    Path a = first.target(uids.get("ua"), "v"), b = first.target(uids.get("ub"), "v");
    Path gone = first.target(uids.get("ug"), "v"), emptiedTarget = first.target(uids.get("uc"), "v");
    Path foreign = first.target("uf", "v");
    JnrMounter mounter = new JnrMounter();
    DriverHarness second = null;
    try (TestProvider provider = first.provider("keeper")) {
      provider.answerNow(TestProvider.files(Map.of("key", "kept")));
      try (CsiClient csi = first.client()) {
        for (String name : new String[] {"ua", "ub", "ug"}) {
          String uid = uids.get(name);
          assertEquals(Status.Code.OK, csi.publish(Requests.publish(first.target(uid, "v"), "ns", "pod-" + name, uid, "spc").build()).getCode());
        }
      }
      // a volume its status names without files (emptied by an unpublish that then failed), and a tmpfs of someone else's
      Files.createDirectories(emptiedTarget);
      mounter.mountTmpfs(emptiedTarget, 0);
      new KubePodStatusStore(KubeTestConnections.of(client)).upsert(
          new PodStatus("pod-uc", "ns", uids.get("uc"), "spc", "node-1", emptiedTarget.toString(), Map.of("secret/key", "v0")));
      Files.createDirectories(foreign);
      mounter.mountTmpfs(foreign, 0);

      first.crash();
      client.pods().inNamespace("ns").withName("pod-ug").delete();
      int callsBefore = provider.requests.size();

      second = DriverHarness.restartOn(client, root);
      DriverHarness restarted = second;
      awaitTrue(() -> !isMounted(restarted, gone) && !Files.exists(gone),
          "the deleted pod's volume is unmounted and its directory removed");
      String volumes = awaitVolumes(second, uids.get("ub"));
      assertTrue(volumes.contains("\"state\" : \"adopted\""), volumes);
      String emptied = awaitVolumes(second, uids.get("uc"));
      assertTrue(emptied.contains("found without its files"), "adopted as emptied, not as a complete volume: " + emptied);
      assertTrue(isMounted(second, foreign), "a tmpfs without a status of this node is not ours: left alone");

      try (CsiClient csi = second.client()) {
        assertEquals(Status.Code.OK, csi.publish(Requests.publish(a, "ns", "pod-ua", uids.get("ua"), "spc").build()).getCode());
        assertEquals(callsBefore, provider.requests.size(), "an adopted complete volume is answered without a fetch");
        assertEquals("kept", Files.readString(a.resolve("key")));

        assertEquals(Status.Code.OK, csi.publish(Requests.publish(emptiedTarget, "ns", "pod-uc", uids.get("uc"), "spc").build()).getCode());
        assertEquals(callsBefore + 1, provider.requests.size(), "the emptied volume is fetched before the answer");
        assertEquals("kept", Files.readString(emptiedTarget.resolve("key")));
        assertEquals(1, second.mounts().stream().filter(m -> m.mountPoint().equals(emptiedTarget)).count(), "no stacked mount");

        for (Path t : new Path[] {a, b, emptiedTarget}) {
          assertEquals(Status.Code.OK, csi.unpublish("v", t).getCode());
        }
      }
    } finally {
      mounter.unmount(foreign);
      if (second != null) {
        second.close();
      } else {
        first.close();
      }
    }
  }

  static boolean isMounted(DriverHarness driver, Path target) {
    return driver.mounts().stream().map(MountEntry::mountPoint).anyMatch(target::equals);
  }

  static String awaitVolumes(DriverHarness driver, String uid) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    return Await.value("the volume of pod " + uid + " is recovered",
        () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + driver.started.admin().getPort()
            + "/volumes")).build(), HttpResponse.BodyHandlers.ofString()).body(),
        body -> body.contains(uid));
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    Await.until(what, condition::getAsBoolean);
  }
}
