package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Status;
import io.sscsi.k8s.ApiRequests.Request;
import io.sscsi.provider.v1alpha1.File;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.testkit.*;
import io.sscsi.volume.VolumeView;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * API economy (issue 14): the requests the driver makes to the API server, counted per phase
 * against fabric8's mock API server in CRUD mode, the driver's own client told apart by its
 * User-Agent. 50 volumes of one class on one node, the class syncing one Secret (owners under
 * {@code --secret-owner=pod-status}, whose unpublish writes), rotation on with a
 * 2 s interval (so every phase also runs the volumes' timer refreshes). Each phase ends on the exact
 * state it should reach (volumes' versions, Secret sync idle, the Secret's content and owners), then
 * its requests are drained and counted. Prints the table quoted in BENCHMARKS.md, then asserts the
 * targets: startup only lists and watches; a first publish costs one status create and at most one
 * Secret write; idle costs nothing; a content change costs one write per status object and one per
 * Secret, no read, also when all volumes change at once (a class edit); an unpublish costs one
 * request per object it touches, no read.
 */
@Integration
@EnableKubernetesMockClient(crud = true)
class ApiEconomyTest {
  static final String DRIVER_AGENT = "sscsi-under-test";
  static final int VOLUMES = 50;
  static final String CLASS_EDIT = "class edited: " + VOLUMES + " volumes refresh at once, content changes";

  static KubernetesMockServer server;
  static KubernetesClient client;

  static void await(BooleanSupplier condition, String what) {
    Await.until(what, Duration.ofSeconds(90), condition::getAsBoolean);
  }

  static MountResponse password(String value, String version) {
    return MountResponse.newBuilder()
        .addFiles(File.newBuilder().setPath("password").setMode(0644).setContents(ByteString.copyFromUtf8(value)))
        .addObjectVersion(ObjectVersion.newBuilder().setId("secret/password").setVersion(version))
        .build();
  }

  static boolean allVolumes(DriverHarness driver, java.util.function.Predicate<VolumeView> ok) {
    List<VolumeView> views = driver.volumeViews();
    return views.stream().filter(v -> !v.state().equals("idle")).count() == VOLUMES && views.stream()
        .filter(v -> !v.state().equals("idle")).allMatch(v -> v.state().equals("mounted") && ok.test(v));
  }

  Secret secret() {
    return client.secrets().inNamespace("app").withName("db").get();
  }

  @Test
  void requestsPerPhaseMeetTheTargets() throws Exception {
    new Cluster(client).secretProviderClass("app", "spc", Map.of("provider", "counted", "parameters",
        Map.of("objects", "password"), "secretObjects", List.of(Map.of("secretName", "db", "type", "Opaque",
            "data", List.of(Map.of("objectName", "password", "key", "PASSWORD"))))));
    KubernetesClient driverClient = new KubernetesClientBuilder().withConfig(
        new ConfigBuilder(client.getConfiguration()).withUserAgent(DRIVER_AGENT).build()).build();
    ApiRequests requests = new ApiRequests(server, DRIVER_AGENT);
    requests.drain();
    Map<String, List<Request>> phases = new LinkedHashMap<>();

    try (DriverHarness driver = DriverHarness.start(driverClient, Map.of("sscsi.driver.enable-secret-rotation", true,
             "sscsi.driver.rotation-poll-interval", "2s", "sscsi.driver.secret-owner", "pod-status"));
         TestProvider provider = driver.provider("counted"); CsiClient csi = driver.client()) {
      await(() -> driver.readiness().ready(), "the driver's watches run");
      phases.put("startup", requests.drain());

      provider.answerNow(password("p1", "v1"));
      List<String> uids = new ArrayList<>();
      for (int i = 0; i < VOLUMES; i++) {
        String uid = "uid-" + i;
        uids.add(uid);
        assertEquals(Status.Code.OK, csi.publish(
            Requests.publish(driver.target(uid, "v"), "app", "pod-" + i, uid, "spc").build()).getCode());
      }
      await(() -> allVolumes(driver, v -> v.objects().equals(Map.of("secret/password", "v1")))
          && driver.secretSyncIdle(), "every volume is mounted and Secret sync is idle");
      phases.put(VOLUMES + " publishes, one synced Secret", requests.drain());
      Secret synced = secret();
      assertEquals(VOLUMES, synced.getMetadata().getOwnerReferences().size(), "every pod's status owns the Secret");
      assertEquals("p1", decode(synced.getData().get("PASSWORD")));

      Instant idleFrom = Instant.now();
      await(() -> allVolumes(driver, v -> v.lastAttempt() != null && v.lastAttempt().isAfter(idleFrom))
          && driver.secretSyncIdle(), "every volume has refreshed on its timer at least once");
      phases.put("idle: every volume refreshed, content unchanged", requests.drain());

      provider.answerNow(password("p2", "v2"));
      await(() -> allVolumes(driver, v -> v.objects().equals(Map.of("secret/password", "v2")))
          && driver.secretSyncIdle(), "every volume refreshed to v2 and Secret sync is idle");
      phases.put("provider content changes, " + VOLUMES + " volumes", requests.drain());
      assertEquals("p2", decode(secret().getData().get("PASSWORD")));

      // Volumes that change together: a class edit refreshes all of them at once.
      provider.answerNow(password("p3", "v3"));
      new Cluster(client).secretProviderClass("app", "spc", Map.of("provider", "counted", "parameters",
          Map.of("objects", "password", "edited", "yes"), "secretObjects", List.of(Map.of("secretName", "db",
              "type", "Opaque", "data", List.of(Map.of("objectName", "password", "key", "PASSWORD"))))));
      await(() -> allVolumes(driver, v -> v.objects().equals(Map.of("secret/password", "v3")))
          && driver.secretSyncIdle(), "every volume refreshed to v3 and Secret sync is idle");
      phases.put(CLASS_EDIT, requests.drain());
      assertEquals("p3", decode(secret().getData().get("PASSWORD")));

      for (String uid : uids) {
        assertEquals(Status.Code.OK, csi.unpublish("v", driver.target(uid, "v")).getCode());
      }
      await(() -> driver.secretSyncIdle() && secret() == null, "the last unpublish removed the Secret");
      phases.put(VOLUMES + " unpublishes", requests.drain());
    } finally {
      driverClient.close();
    }

    System.out.println("| phase | requests | of which reads | breakdown |");
    System.out.println("|---|---|---|---|");
    phases.forEach((phase, list) -> System.out.println("| " + phase + " | " + list.size() + " | "
        + ApiRequests.count(list, Request::read) + " | " + ApiRequests.breakdown(list) + " |"));

    List<Request> startup = phases.get("startup");
    assertTrue(startup.stream().allMatch(r -> !r.named() && r.method().equals("GET")
        && (r.resource().equals("secretproviderclasses") || r.resource().equals("secrets"))),
        "startup only lists and watches: " + ApiRequests.breakdown(startup));
    assertTrue(startup.size() <= 4, ApiRequests.breakdown(startup));

    List<Request> publishes = phases.get(VOLUMES + " publishes, one synced Secret");
    assertEquals(0, ApiRequests.count(publishes, Request::read), "no reads: " + ApiRequests.breakdown(publishes));
    assertEquals(VOLUMES, ApiRequests.count(publishes,
        r -> r.method().equals("POST") && r.resource().equals("secretproviderclasspodstatuses")));
    assertTrue(ApiRequests.count(publishes, r -> r.resource().equals("secrets")) <= VOLUMES,
        "at most one Secret write per publish: " + ApiRequests.breakdown(publishes));
    assertTrue(publishes.size() <= 2 * VOLUMES, ApiRequests.breakdown(publishes));

    List<Request> idle = phases.get("idle: every volume refreshed, content unchanged");
    assertEquals(List.of(), idle, "idle costs no request");

    List<Request> change = phases.get("provider content changes, " + VOLUMES + " volumes");
    assertEquals(0, ApiRequests.count(change, Request::read), "no reads: " + ApiRequests.breakdown(change));
    assertTrue(ApiRequests.count(change, r -> r.resource().equals("secretproviderclasspodstatuses")) <= VOLUMES,
        "one write per status object: " + ApiRequests.breakdown(change));
    assertEquals(1, ApiRequests.count(change, r -> r.resource().equals("secrets")),
        "one write for the Secret: " + ApiRequests.breakdown(change));

    List<Request> together = phases.get(CLASS_EDIT);
    assertEquals(0, ApiRequests.count(together, Request::read), "no reads: " + ApiRequests.breakdown(together));
    assertTrue(ApiRequests.count(together, r -> r.resource().equals("secretproviderclasspodstatuses")) <= VOLUMES,
        "one write per status object: " + ApiRequests.breakdown(together));
    assertEquals(1, ApiRequests.count(together, r -> r.resource().equals("secrets")),
        "the volumes' sync rounds coalesce into one Secret write: " + ApiRequests.breakdown(together));

    List<Request> unpublishes = phases.get(VOLUMES + " unpublishes");
    assertEquals(0, ApiRequests.count(unpublishes, Request::read), "no reads: " + ApiRequests.breakdown(unpublishes));
    assertEquals(VOLUMES, ApiRequests.count(unpublishes,
        r -> r.method().equals("DELETE") && r.resource().equals("secretproviderclasspodstatuses")));
    assertTrue(ApiRequests.count(unpublishes, r -> r.resource().equals("secrets")) <= VOLUMES,
        "at most one Secret write per unpublish: " + ApiRequests.breakdown(unpublishes));
  }

  static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }
}
