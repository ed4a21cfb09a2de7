package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A volume with a nodePublishSecretRef and secretObjects, published, the driver SIGKILLed and
 * restarted: once kubelet republishes it, the adopted volume is indistinguishable from one published
 * by the running driver. The admin view names its provider, the publish metric carries the
 * provider's label, a change of the nodePublishSecretRef Secret refreshes it with the new data, and
 * its unpublish takes the pod's ownership off the synced Secret (deleted with its last owner, under
 * {@code --secret-owner=pod-status}).
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Integration
class AdoptedVolumeAfterSigkillTest {
  static KubernetesClient client;

  static void secret(String user) {
    client.secrets().inNamespace("ns").resource(new SecretBuilder().withNewMetadata().withName("creds").withNamespace("ns")
            .addToLabels("secrets-store.csi.k8s.io/used", "true").endMetadata()
            .addToData("user", Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8))).build())
        .createOr(r -> r.update());
  }

  static <T> T eventually(Supplier<T> value, java.util.function.Predicate<T> ok, String what) {
    return Await.value(what, value::get, ok);
  }

  @Test
  void anAdoptedVolumeIsLikeOneNeverAdoptedOnceRepublished() throws Exception {
    try (DriverNode node = DriverNode.cluster("sscsi-adopt-", client.getMasterUrl().toString())) {
      adoptedThenRepublished(node);
    }
  }

  private static void adoptedThenRepublished(DriverNode node) throws Exception {
    Path root = node.root;
    new Cluster(client).secretProviderClass("ns", "spc", Map.of("provider", "creds-provider",
        "parameters", Map.of("objects", "x"),
        "secretObjects", List.of(Map.of("secretName", "mirror", "type", "Opaque",
            "data", List.of(Map.of("objectName", "key", "key", "k"))))));
    secret("alice");
    String uid = new Cluster(client).podWithPublishSecret("ns", "web", "spc", "creds");
    Path target = root.resolve("pods").resolve(uid).resolve("volumes/kubernetes.io~csi/secrets/mount");
    // pod-status owners (opt-in): the unpublish takes the pod's ownership off and deletes the Secret
    String[] rotation = {"--enable-secret-rotation=true", "--rotation-poll-interval=1h", "--secret-owner=pod-status"};
    try (TestProvider provider = TestProvider.start(node.providers, "creds-provider")) {
      provider.answerNow(TestProvider.files(Map.of("key", "v1")));
      DriverChild driver = node.start("driver-1.log", rotation);
      assertEquals(Status.Code.OK, publish(driver, target, uid).getCode());
      eventually(() -> client.secrets().inNamespace("ns").withName("mirror").get(),
          s -> s != null && owners(s).equals(List.of("web-ns-spc")), "the synced Secret, owned by the pod's status");

      driver.kill();
      driver = node.start("driver-2.log", rotation);
      String adopted = driver.awaitAdmin("/volumes", body -> body.contains(uid), Duration.ofSeconds(30));
      assertTrue(adopted.contains("\"state\" : \"adopted\""), adopted);
      int calls = provider.requests.size();

      assertEquals(Status.Code.OK, publish(driver, target, uid).getCode(), "kubelet's republish");
      assertEquals(calls, provider.requests.size(), "within the rotation interval: no provider call");
      String view = driver.get(driver.adminPort, "/volumes");
      assertTrue(view.contains("\"state\" : \"mounted\""), view);
      assertTrue(view.contains("\"provider\" : \"creds-provider\""), view);
      String metrics = driver.awaitMetrics(body -> body.lines().anyMatch(l -> l.startsWith("node_publish_total{")
          && l.contains("provider=\"creds-provider\"")));
      assertFalse(metrics.lines().anyMatch(l -> l.startsWith("node_publish_total{") && l.contains("provider=\"\"")),
          metrics);

      secret("bob");
      eventually(() -> provider.requests.size(), n -> n == calls + 1, "the Secret's change refreshed the volume");
      assertTrue(provider.requests.get(calls).getSecrets().contains("\"user\":\"bob\""), "with the Secret's new data");

      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.OK, csi.unpublish("secrets", target).getCode());
      }
      eventually(() -> client.secrets().inNamespace("ns").withName("mirror").get(), s -> s == null,
          "the unpublish released the pod's ownership and the Secret went with its last owner");
      assertFalse(Files.exists(target));
    }
  }

  static Status publish(DriverChild driver, Path target, String uid) {
    try (CsiClient csi = new CsiClient(driver.socket)) {
      return csi.publish(Requests.publish(target, "ns", "web", uid, "spc").putSecrets("user", "alice").build());
    }
  }

  static List<String> owners(Secret s) {
    return s.getMetadata().getOwnerReferences().stream().map(o -> o.getName()).toList();
  }
}
