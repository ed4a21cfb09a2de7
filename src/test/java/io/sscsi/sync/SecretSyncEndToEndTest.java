package io.sscsi.sync;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * secretObjects through the whole driver. Upstream's default owners: publish creates the Secret owned by
 * the pod's ReplicaSet, and the last unpublish leaves it (the garbage collector removes it with the
 * ReplicaSet). Opt-in {@code --secret-owner=pod-status}: owned by the pod's status object, removed by the
 * last unpublish.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class SecretSyncEndToEndTest {
  static KubernetesClient client;

  static <T> T eventually(Supplier<T> value, java.util.function.Predicate<T> ok, String what) {
    return Await.value(what, value::get, ok);
  }

  @Test
  void byDefaultTheSecretIsOwnedByThePodsReplicaSetAndOutlivesThePod() throws Exception {
    new Cluster(client).secretProviderClass("rs", "with-sync", Map.of("provider", "syncer",
        "parameters", Map.of("objects", "x"), "secretObjects", List.of(Map.of("secretName", "db", "type", "Opaque",
            "data", List.of(Map.of("objectName", "password", "key", "DB_PASSWORD"))))));
    String uid = client.pods().inNamespace("rs").resource(new PodBuilder().withNewMetadata().withName("web-7d-x1")
        .withNamespace("rs").addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName("web-7d")
        .withUid("uid-rs").withController(true).withBlockOwnerDeletion(true).endOwnerReference().endMetadata()
        .withNewSpec().withNodeName("node-1").endSpec().build()).create().getMetadata().getUid();
    try (DriverHarness driver = DriverHarness.start(client); TestProvider provider = driver.provider("syncer");
         CsiClient csi = driver.client()) {
      provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t")));
      Path target = driver.target(uid, "v");
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "rs", "web-7d-x1", uid, "with-sync").build()).getCode());

      Secret secret = eventually(() -> client.secrets().inNamespace("rs").withName("db").get(),
          s -> s != null && !s.getMetadata().getOwnerReferences().isEmpty(), "the Secret was created with its owner");
      var owners = secret.getMetadata().getOwnerReferences();
      assertEquals(1, owners.size(), owners.toString());
      assertEquals(List.of("apps/v1", "ReplicaSet", "web-7d", "uid-rs"), List.of(owners.get(0).getApiVersion(),
          owners.get(0).getKind(), owners.get(0).getName(), owners.get(0).getUid()), "the pod's own owner, as upstream");
      assertNull(owners.get(0).getController());

      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
      eventually(driver::secretSyncIdle, idle -> idle, "Secret sync settled after the unpublish");
      Secret after = client.secrets().inNamespace("rs").withName("db").get();
      assertNotNull(after, "the driver does not delete the Secret: the garbage collector does, with the ReplicaSet");
      assertEquals(owners, after.getMetadata().getOwnerReferences(), "no owner taken off");
    }
  }

  @Test
  void withPodStatusOwnersTheSecretIsOwnedByThePodsStatusAndGoesWithTheLastPod() throws Exception {
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "with-sync", Map.of("provider", "syncer", "parameters", Map.of("objects", "x"),
        "secretObjects", List.of(Map.of("secretName", "db", "type", "Opaque", "labels", Map.of("app", "web"),
            "data", List.of(Map.of("objectName", "password", "key", "DB_PASSWORD"))))));
    try (DriverHarness driver = DriverHarness.start(client, Map.of("sscsi.driver.secret-owner", "pod-status"));
         TestProvider provider = driver.provider("syncer"); CsiClient csi = driver.client()) {
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
