package io.sscsi.k8s;

import io.sscsi.testkit.MockApiServers;
import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A node that boots before its API server is reachable (issue 12, item 1): the driver starts while
 * nothing listens on the API server's port, so its watches fail to start. Then fabric8's mock API
 * server comes up on that port (chosen in advance by binding port 0). The watches must start on
 * their own: readiness turns good, and a SecretProviderClass edit and a change of the
 * nodePublishSecretRef Secret refresh the mounted volume again.
 */
@Integration
class ApiServerAfterDriverTest {

  static void await(BooleanSupplier condition, String what) {
    Await.until(what, condition::getAsBoolean);
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void watchesStartWhenTheApiServerComesUpAndChangesRefreshVolumesAgain() throws Exception {
    RefusedPort refused = RefusedPort.open(); // refuses until the API server starts there
    int port = refused.port();
    // The driver's own client; a short reconnect interval keeps the backoff (x32 at most) short.
    KubernetesClient driverClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:" + port).withRequestRetryBackoffLimit(0)
        .withWatchReconnectInterval(50).withConnectionTimeout(1000).withRequestTimeout(5000).build()).build();
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    try (DriverHarness driver = DriverHarness.start(driverClient, Map.of("sscsi.driver.enable-secret-rotation", true,
             "sscsi.driver.rotation-poll-interval", "1h", "sscsi.driver.rotation-timer", false));
         TestProvider provider = driver.provider("late-provider"); CsiClient csi = driver.client()) {
      await(() -> driver.readiness().text().contains("api-server: watch of SecretProviderClasses not running"),
          "readiness names the watch that cannot start");
      assertFalse(driver.readiness().ready(), driver.readiness().text());

      refused.close();
      server.init(InetAddress.getByName("127.0.0.1"), port);
      KubernetesClient cluster = server.createClient();
      new Cluster(cluster).secretProviderClass("ns", "spc", "late-provider", Map.of("objects", "a"));
      cluster.secrets().inNamespace("ns").resource(new SecretBuilder().withNewMetadata().withName("creds")
          .withNamespace("ns").addToLabels("secrets-store.csi.k8s.io/used", "true").endMetadata()
          .addToData("user", b64("alice")).build()).create();
      String uid = new Cluster(cluster).podWithPublishSecret("ns", "web", "spc", "creds");

      await(() -> driver.readiness().ready(), "both watches run and readiness is good");
      assertTrue(driver.readiness().text().contains("api-server: ok"), driver.readiness().text());

      provider.answerNow(TestProvider.files(Map.of("k", "v")));
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(driver.target(uid, "v"), "ns", "web", uid, "spc")
          .putSecrets("user", "alice").build()).getCode());
      assertEquals(1, provider.requests.size());

      new Cluster(cluster).secretProviderClass("ns", "spc", "late-provider", Map.of("objects", "b"));
      await(() -> provider.requests.size() == 2, "the class edit refreshed the volume");
      assertTrue(provider.requests.get(1).getAttributes().contains("\"objects\":\"b\""),
          "with the edited class's parameters");

      cluster.secrets().inNamespace("ns").withName("creds").edit(s -> new SecretBuilder(s)
          .addToData("user", b64("bob")).build());
      await(() -> provider.requests.size() == 3, "the nodePublishSecretRef Secret's change refreshed the volume");
      assertTrue(provider.requests.get(2).getSecrets().contains("\"user\":\"bob\""), "with the Secret's new data");

      assertEquals(Status.Code.OK, csi.unpublish("v", driver.target(uid, "v")).getCode());
    } finally {
      MockApiServers.destroy(server);
      driverClient.close();
    }
  }
}
