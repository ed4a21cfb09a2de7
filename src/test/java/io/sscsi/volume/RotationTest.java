package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rotation through kubelet's republish, through the volume's own timer, and on a class edit; with a
 * real provider on a unix socket, real tmpfs and the mock API server.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class RotationTest {
  static KubernetesClient client;
  static DriverHarness timerDriver;     // rotation on, 1 s interval, own timer on
  static DriverHarness republishDriver; // rotation on, 1 s interval, own timer off (kubelet republish only)
  static DriverHarness slowDriver;      // rotation on, 1 h interval, own timer off
  static Cluster cluster;

  @BeforeAll
  static void start() throws Exception {
    timerDriver = DriverHarness.start(client, Map.of("sscsi.driver.enable-secret-rotation", true,
        "sscsi.driver.rotation-poll-interval", "1s"));
    republishDriver = DriverHarness.start(client, Map.of("sscsi.driver.enable-secret-rotation", true,
        "sscsi.driver.rotation-poll-interval", "1s", "sscsi.driver.rotation-timer", false));
    slowDriver = DriverHarness.start(client, Map.of("sscsi.driver.enable-secret-rotation", true,
        "sscsi.driver.rotation-poll-interval", "1h", "sscsi.driver.rotation-timer", false));
    cluster = new Cluster(client);
  }

  @AfterAll
  static void stop() throws Exception {
    timerDriver.close();
    republishDriver.close();
    slowDriver.close();
  }

  /** A provider whose single object "key" has the value and version in {@code value}. */
  static TestProvider versioned(DriverHarness driver, String name, AtomicReference<String> value) throws Exception {
    cluster.secretProviderClass("ns", name, name, Map.of("objects", "key"));
    return driver.provider(name).answer(r -> CompletableFuture.completedFuture(TestProvider.file("key", 0644, value.get())
        .toBuilder().setObjectVersion(0, io.sscsi.provider.v1alpha1.ObjectVersion.newBuilder()
            .setId("secret/key").setVersion(value.get())).build()));
  }

  static Status publish(DriverHarness driver, String spc, String uid) {
    try (CsiClient csi = driver.client()) {
      return csi.publish(Requests.publish(driver.target(uid, "v"), "ns", "pod-" + uid, uid, spc).build());
    }
  }

  static void eventually(Duration within, BooleanSupplier condition, String what) {
    Await.until(what, within.compareTo(Await.LIMIT) > 0 ? within : Await.LIMIT, condition::getAsBoolean);
  }

  /** Republishes as kubelet does (each answered OK) until {@code done}; fails after 30 s. */
  static void republishUntil(DriverHarness driver, String spc, String uid, BooleanSupplier done) {
    Await.until("a refresh", () -> {
      if (done.getAsBoolean()) {
        return true;
      }
      assertEquals(Status.Code.OK, publish(driver, spc, uid).getCode(), "kubernetes#121271: never fail a republish");
      return done.getAsBoolean();
    });
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "<" + e.getClass().getSimpleName() + ">";
    }
  }

  @Test
  void timerRefreshesChangedContentSendsCurrentVersionsAndUpdatesTheStatus() throws Exception {
    AtomicReference<String> value = new AtomicReference<>("v1");
    try (TestProvider provider = versioned(timerDriver, "timer", value)) {
      assertEquals(Status.Code.OK, publish(timerDriver, "timer", "t1").getCode());
      Path file = timerDriver.target("t1", "v").resolve("key");
      assertEquals("v1", Files.readString(file));

      value.set("v2");
      eventually(Duration.ofSeconds(30), () -> "v2".equals(read(file)), "the timer refreshed the content");
      var lastRequest = provider.requests.get(provider.requests.size() - 1);
      assertEquals("secret/key", lastRequest.getCurrentObjectVersion(0).getId());
      eventually(Duration.ofSeconds(30), () -> {
        GenericKubernetesResource status = cluster.podStatus("ns", "pod-t1-ns-timer");
        return status != null && status.getAdditionalProperties().get("status").toString().contains("version=v2");
      }, "the status object carries the new version");
    } finally {
      try (CsiClient csi = timerDriver.client()) {
        csi.unpublish("v", timerDriver.target("t1", "v"));
      }
    }
  }

  @Test
  void idleTimerRefreshRewritesNothing() throws Exception {
    AtomicReference<String> value = new AtomicReference<>("same");
    try (TestProvider provider = versioned(timerDriver, "idle", value)) {
      assertEquals(Status.Code.OK, publish(timerDriver, "idle", "i1").getCode());
      Path target = timerDriver.target("i1", "v");
      String dataDir = Files.readSymbolicLink(target.resolve("..data")).toString();
      String statusVersion = cluster.podStatus("ns", "pod-i1-ns-idle").getMetadata().getResourceVersion();

      eventually(Duration.ofSeconds(30), () -> provider.requests.size() >= 3, "two timer refreshes");
      assertEquals(dataDir, Files.readSymbolicLink(target.resolve("..data")).toString(), "no rewrite");
      assertEquals(statusVersion, cluster.podStatus("ns", "pod-i1-ns-idle").getMetadata().getResourceVersion(),
          "no status write when versions did not change");
    } finally {
      try (CsiClient csi = timerDriver.client()) {
        csi.unpublish("v", timerDriver.target("i1", "v"));
      }
    }
  }

  @Test
  void expiredTokensStopTimerRefreshes() throws Exception {
    AtomicReference<String> value = new AtomicReference<>("v1");
    try (TestProvider provider = versioned(timerDriver, "expired", value); CsiClient csi = timerDriver.client()) {
      String tokens = "{\"vault\":{\"token\":\"opaque\",\"expirationTimestamp\":\"2020-01-01T00:00:00Z\"}}";
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(timerDriver.target("e1", "v"), "ns", "pod-e1", "e1", "expired")
          .putVolumeContext("csi.storage.k8s.io/serviceAccount.tokens", tokens).build()).getCode());
      var http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
      var scrape = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
          + timerDriver.started.metrics().getPort() + "/metrics")).build();
      eventually(Duration.ofSeconds(30), () -> {
        try {
          return http.send(scrape, java.net.http.HttpResponse.BodyHandlers.ofString()).body()
              .contains("sscsi_rotation_skipped_total{reason=\"tokens_expired\"}");
        } catch (Exception e) {
          return false;
        }
      }, "the timer fired and skipped: counted");
      assertEquals(1, provider.requests.size(), "no timer refresh with expired tokens");
      csi.unpublish("v", timerDriver.target("e1", "v"));
    }
  }

  @Test
  void republishRefreshesOnlyOncePerInterval() throws Exception {
    AtomicReference<String> value = new AtomicReference<>("v1");
    try (TestProvider provider = versioned(republishDriver, "repub", value)) {
      assertEquals(Status.Code.OK, publish(republishDriver, "repub", "r1").getCode());
      value.set("v2");
      assertEquals(Status.Code.OK, publish(republishDriver, "repub", "r1").getCode());
      assertEquals(1, provider.requests.size(), "a republish within the interval does not call the provider");
      republishUntil(republishDriver, "repub", "r1", () -> provider.requests.size() == 2);
      assertEquals(2, provider.requests.size(), "one refresh once the interval passed");
      assertEquals("v2", Files.readString(republishDriver.target("r1", "v").resolve("key")));
    } finally {
      try (CsiClient csi = republishDriver.client()) {
        csi.unpublish("v", republishDriver.target("r1", "v"));
      }
    }
  }

  @Test
  void failedRefreshOnRepublishAnswersOkAndKeepsTheContent() throws Exception {
    AtomicReference<String> value = new AtomicReference<>("v1");
    try (TestProvider provider = versioned(republishDriver, "flaky", value)) {
      assertEquals(Status.Code.OK, publish(republishDriver, "flaky", "f1").getCode());
      provider.answer(r -> CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("vault sealed").asRuntimeException()));
      republishUntil(republishDriver, "flaky", "f1", () -> provider.requests.size() >= 2); // each answered OK (kubernetes#121271)
      assertEquals("v1", Files.readString(republishDriver.target("f1", "v").resolve("key")));
      eventually(Duration.ofSeconds(30), () -> client.v1().events().inNamespace("ns").list().getItems().stream()
          .anyMatch(e -> "MountRotationFailed".equals(e.getReason()) && "pod-f1".equals(e.getInvolvedObject().getName())
              && e.getMessage().contains("vault sealed")), "a Warning event on the pod says the refresh failed");
    } finally {
      try (CsiClient csi = republishDriver.client()) {
        csi.unpublish("v", republishDriver.target("f1", "v"));
      }
    }
  }

  @Test
  void classEditRefreshesMountedContent() throws Exception {
    AtomicReference<String> value = new AtomicReference<>("v1");
    try (TestProvider provider = versioned(slowDriver, "edited", value)) {
      assertEquals(Status.Code.OK, publish(slowDriver, "edited", "c1").getCode());
      Path file = slowDriver.target("c1", "v").resolve("key");
      value.set("v2");
      cluster.secretProviderClass("ns", "edited", "edited", Map.of("objects", "key", "extra", "changed"));
      eventually(Duration.ofSeconds(30), () -> "v2".equals(read(file)),
          "the class edit refreshed the volume (the interval is an hour: only the edit can have)");
      assertTrue(provider.requests.get(provider.requests.size() - 1).getAttributes().contains("\"extra\":\"changed\""),
          "the refresh used the edited class");
    } finally {
      try (CsiClient csi = slowDriver.client()) {
        csi.unpublish("v", slowDriver.target("c1", "v"));
      }
    }
  }
}
