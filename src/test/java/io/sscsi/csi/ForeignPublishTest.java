package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import io.sscsi.volume.VolumeView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A publish to a target that is already published, for another pod (namespace, name or uid) or
 * another SecretProviderClass, through the real CSI socket: refused with ALREADY_EXISTS and nothing
 * changes (no provider call, same content, same owner), for a mounted volume and for one adopted
 * after a restart (compared with its status object). The rightful pod's republish still succeeds.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class ForeignPublishTest {
  static KubernetesClient client;

  @Test
  void aPublishedTargetRefusesAnotherPodOrClassAndChangesNothing() throws Exception {
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "spc", "owner-provider", Map.of("objects", "x"));
    cluster.secretProviderClass("ns", "other", "owner-provider", Map.of("objects", "x"));
    cluster.secretProviderClass("team-b", "spc", "owner-provider", Map.of("objects", "x"));
    String uid = cluster.pod("ns", "web", "uid-web");
    DriverHarness driver = DriverHarness.start(client);
    try (TestProvider provider = driver.provider("owner-provider")) {
      provider.answerNow(TestProvider.files(Map.of("key", "web's secret")));
      Path target = driver.target(uid, "secrets");
      try (CsiClient csi = driver.client()) {
        assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "ns", "web", uid, "spc").build()).getCode());
        assertForeignPublishesRefused(driver, csi, target, uid, "mounted");
      }
      assertEquals(1, provider.requests.size(), "the refused publishes never reached the provider");

      driver.crash();
      driver = DriverHarness.restartOn(client, driver.root);
      DriverHarness restarted = driver;
      awaitState(restarted, "adopted");
      try (CsiClient csi = driver.client()) {
        assertForeignPublishesRefused(driver, csi, target, uid, "adopted");
        assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "ns", "web", uid, "spc").build()).getCode(),
            "the pod's own republish");
        assertEquals("mounted", driver.volumeViews().get(0).state());
      }
      assertEquals(1, provider.requests.size(), "rotation off: no provider call for the republish either");
    } finally {
      driver.close();
    }
  }

  private static void assertForeignPublishesRefused(DriverHarness driver, CsiClient csi, Path target, String uid,
      String state) throws Exception {
    var foreign = List.of(
        Requests.publish(target, "ns", "web", "uid-of-another-pod", "spc"),
        Requests.publish(target, "ns", "db", uid, "spc"),
        Requests.publish(target, "team-b", "web", uid, "spc"),
        Requests.publish(target, "ns", "web", uid, "other"));
    for (var request : foreign) {
      Status status = csi.publish(request.build());
      assertEquals(Status.Code.ALREADY_EXISTS, status.getCode(), state + ": " + status);
      assertTrue(status.getDescription().startsWith("target path " + target + " is already published for pod ns/web"
          + " (uid " + uid + ") with SecretProviderClass spc; refusing a publish for "), status.getDescription());
    }
    assertEquals("web's secret", Files.readString(target.resolve("key")), "the content is the first pod's, untouched");
    assertEquals(1, driver.mounts().size(), "one mount, nothing stacked");
    VolumeView view = driver.volumeViews().get(0);
    assertEquals(state, view.state());
    assertEquals("web", view.podName());
    assertEquals("spc", view.secretProviderClass());
  }

  private static void awaitState(DriverHarness driver, String state) {
    Await.value("a volume becomes " + state, driver::volumeViews,
        views -> views.stream().anyMatch(v -> v.state().equals(state)));
  }
}
