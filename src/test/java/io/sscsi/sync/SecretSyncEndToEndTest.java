package io.sscsi.sync;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** secretObjects through the whole driver: publish creates the Secret, the last unpublish removes it. */
@EnableKubernetesMockClient(crud = true)
@Integration
class SecretSyncEndToEndTest {
  static KubernetesClient client;

  static <T> T eventually(Supplier<T> value, java.util.function.Predicate<T> ok, String what) {
    return Await.value(what, value::get, ok);
  }

  @Test
  void publishedContentIsMirroredIntoAManagedSecretOwnedByThePodsStatus() throws Exception {
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "with-sync", Map.of("provider", "syncer", "parameters", Map.of("objects", "x"),
        "secretObjects", List.of(Map.of("secretName", "db", "type", "Opaque", "labels", Map.of("app", "web"),
            "data", List.of(Map.of("objectName", "password", "key", "DB_PASSWORD"))))));
    try (DriverHarness driver = DriverHarness.start(client); TestProvider provider = driver.provider("syncer");
         CsiClient csi = driver.client()) {
      provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t")));
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(driver.target("u1", "v"), "ns", "web-1", "u1", "with-sync").build()).getCode());

      Secret secret = eventually(() -> client.secrets().inNamespace("ns").withName("db").get(),
          s -> s != null && !s.getMetadata().getOwnerReferences().isEmpty(), "the Secret was created with its owner");
      assertEquals("s3cr3t", new String(Base64.getDecoder().decode(secret.getData().get("DB_PASSWORD")), StandardCharsets.UTF_8));
      assertEquals("true", secret.getMetadata().getLabels().get("secrets-store.csi.k8s.io/managed"));
      assertEquals("web", secret.getMetadata().getLabels().get("app"));
      var owner = secret.getMetadata().getOwnerReferences().get(0);
      assertEquals("SecretProviderClassPodStatus", owner.getKind());
      assertEquals("web-1-ns-with-sync", owner.getName());

      eventually(driver::secretSyncIdle, idle -> idle, "Secret sync settled");
      var view = driver.adminJson("/secrets");
      assertTrue(view.get("syncEnabled").asBoolean());
      var db = view.get("secrets").get("ns/db");
      assertNotNull(db, "/secrets lists the synced Secret: " + view);
      assertEquals(1, db.get("pods").asInt(), "one pod mounts it");
      assertEquals(0, db.get("failures").asInt());
      assertFalse(view.toString().contains("s3cr3t"), "/secrets never shows a secret value");

      assertEquals(Status.Code.OK, csi.unpublish("v", driver.target("u1", "v")).getCode());
      eventually(() -> client.secrets().inNamespace("ns").withName("db").get(), s -> s == null,
          "the last pod's unpublish removed the managed Secret");
    }
  }
}
