package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * nodePublishSecretRef: its data reaches the provider as the secrets JSON, and a change of the
 * Secret, when labelled {@code secrets-store.csi.k8s.io/used=true}, refreshes the mounted volume with
 * the new data without waiting for kubelet; an unlabelled Secret is not watched.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class NodePublishSecretRefTest {
  static KubernetesClient client;

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static void secret(String name, boolean labelled, String user) {
    var b = new SecretBuilder().withNewMetadata().withName(name).withNamespace("ns");
    if (labelled) {
      b = b.addToLabels("secrets-store.csi.k8s.io/used", "true");
    }
    client.secrets().inNamespace("ns").resource(b.endMetadata().addToData("user", b64(user)).build())
        .createOr(r -> r.update());
  }

  static String pod(String name, String secretRef) {
    return new Cluster(client).podWithPublishSecret("ns", name, "spc", secretRef);
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    Await.until(what, condition::getAsBoolean);
  }

  @Test
  void aChangedLabelledSecretRefreshesTheVolumeWithItsNewData() throws Exception {
    new Cluster(client).secretProviderClass("ns", "spc", "creds-provider", Map.of("objects", "x"));
    secret("creds", true, "alice");
    secret("plain", false, "carol");
    String uid = pod("web", "creds");
    String otherUid = pod("other", "plain");
    try (DriverHarness driver = DriverHarness.start(client, Map.of("sscsi.driver.enable-secret-rotation", true,
             "sscsi.driver.rotation-poll-interval", "1h", "sscsi.driver.rotation-timer", false));
         TestProvider provider = driver.provider("creds-provider"); CsiClient csi = driver.client()) {
      provider.answerNow(TestProvider.files(Map.of("k", "v")));
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(driver.target(uid, "v"), "ns", "web", uid, "spc")
          .putSecrets("user", "alice").build()).getCode());
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(driver.target(otherUid, "v"), "ns", "other", otherUid, "spc")
          .putSecrets("user", "carol").build()).getCode());
      assertEquals(2, provider.requests.size());
      assertTrue(provider.requests.get(0).getSecrets().contains("\"user\":\"alice\""), "kubelet's secrets reach the provider");
      awaitTrue(() -> driver.watches("ns", "creds"), "the watch has listed the labelled Secret");

      secret("plain", false, "dave"); // unlabelled: not watched, refreshes nothing
      secret("creds", true, "bob");
      awaitTrue(() -> provider.requests.size() >= 3, "the labelled Secret's change refreshed its volume");
      assertTrue(provider.requests.get(2).getSecrets().contains("\"user\":\"bob\""), "with the Secret's new data");
      assertTrue(provider.requests.get(2).getAttributes().contains("\"csi.storage.k8s.io/pod.name\":\"web\""),
          "the refresh is the volume of the pod that references the Secret");
      assertEquals(3, provider.requests.size(), "the unlabelled Secret's change refreshed nothing");
      csi.unpublish("v", driver.target(uid, "v"));
      csi.unpublish("v", driver.target(otherUid, "v"));
    }
  }
}
