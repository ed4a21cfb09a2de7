package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.provider.v1alpha1.Error;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every publish failure gets one clear status from the error table, and a failed first publish
 * leaves neither a mount nor a directory behind. Backpressure and deadlines per provider call.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class PublishFailuresTest {
  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static CsiClient csi;
  static Cluster cluster;

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client, Map.of(
        "sscsi.driver.provider.call-timeout", "5s",
        "sscsi.driver.provider.max-in-flight", 2,
        "sscsi.driver.provider.max-queued", 1));
    provider = driver.provider("slowpoke");
    csi = driver.client();
    cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "good", "slowpoke", Map.of("objects", "x"));
    cluster.secretProviderClass("ns", "absent-provider", "absent", Map.of("objects", "x"));
    cluster.secretProviderClass("ns", "evil-provider", "../../etc/evil", Map.of("objects", "x"));
    cluster.secretProviderClass("ns", "no-params", "slowpoke", Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    csi.close();
    provider.close();
    driver.close();
  }

  @AfterEach
  void nothingLeftBehind() {
    assertTrue(driver.mounts().isEmpty(), "no mount left after a failed publish");
    assertFalse(Files.exists(driver.root.resolve("pods")) && hasFiles(driver.root.resolve("pods")),
        "no target directory left after a failed publish");
  }

  private static boolean hasFiles(Path dir) {
    try (var walk = Files.walk(dir)) {
      return walk.anyMatch(p -> p.getFileName().toString().equals("mount"));
    } catch (java.io.IOException e) {
      throw new RuntimeException(e);
    }
  }

  private Status publish(String spc, String uid) {
    return csi.publish(Requests.publish(driver.target(uid, "v"), "ns", "pod-" + uid, uid, spc).build());
  }

  @Test
  void missingClassIsNotFoundNamingClassAndNamespace() {
    Status status = publish("no-such-class", "u1");
    assertEquals(Status.Code.NOT_FOUND, status.getCode());
    assertTrue(status.getDescription().contains("no-such-class"), status.getDescription());
    assertTrue(status.getDescription().contains("\"ns\""), status.getDescription());
  }

  @Test
  void classWithoutParametersIsFailedPrecondition() {
    Status status = publish("no-params", "u2");
    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode());
    assertTrue(status.getDescription().contains("parameters not set in ns/no-params"), status.getDescription());
  }

  @Test
  void providerNotInstalledIsFailedPreconditionNamingIt() {
    Status status = publish("absent-provider", "u3");
    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode());
    assertTrue(status.getDescription().contains("provider absent not found"), status.getDescription());
  }

  @Test
  void providerNameThatIsAPathIsRefused() {
    Status status = publish("evil-provider", "u4");
    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode());
    assertTrue(status.getDescription().contains("invalid provider"), status.getDescription());
  }

  @Test
  void providersOwnGrpcCodePassesThrough() {
    provider.answer(r -> CompletableFuture.failedFuture(
        Status.PERMISSION_DENIED.withDescription("vault says no").asRuntimeException()));
    Status status = publish("good", "u5");
    assertEquals(Status.Code.PERMISSION_DENIED, status.getCode());
    assertTrue(status.getDescription().contains("vault says no"), status.getDescription());
  }

  @Test
  void providerReportedErrorCodeIsFailedPrecondition() {
    provider.answerNow(MountResponse.newBuilder().setError(Error.newBuilder().setCode("AuthFailed")).build());
    Status status = publish("good", "u6");
    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode());
    assertTrue(status.getDescription().contains("AuthFailed"), status.getDescription());
  }

  @Test
  void responseWithoutObjectVersionsIsInternal() {
    provider.answerNow(MountResponse.getDefaultInstance());
    Status status = publish("good", "u7");
    assertEquals(Status.Code.INTERNAL, status.getCode());
    assertTrue(status.getDescription().contains("missing object versions"), status.getDescription());
  }

  @Test
  void hangingProviderIsDeadlineExceededAtTheCallTimeout() {
    provider.answer(r -> new CompletableFuture<>());
    Status status = publish("good", "u8");
    assertEquals(Status.Code.DEADLINE_EXCEEDED, status.getCode());
    assertTrue(status.getDescription().contains("provider slowpoke did not answer in time"),
        "the provider call's own deadline answered, not kubelet's: " + status.getDescription());
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    Await.until(what, condition::getAsBoolean);
  }

  @Test
  void callsBeyondInFlightAndQueueAreResourceExhausted() throws Exception {
    CompletableFuture<MountResponse> gate = new CompletableFuture<>();
    provider.maxInFlight.set(0);
    provider.answer(r -> gate);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Status>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String uid = "bp" + i;
        calls.add(pool.submit(() -> publish("good", uid)));
        if (i == 1) {
          awaitTrue(() -> provider.inFlight.get() == 2, "two calls in flight");
        }
      }
      // of the last two, one is queued and the other refused at once: the queue holds one
      awaitTrue(() -> calls.get(2).isDone() || calls.get(3).isDone(), "one call refused");
      gate.complete(TestProvider.files(Map.of("foo", "x")));
      List<Status.Code> codes = new ArrayList<>();
      for (Future<Status> c : calls) {
        codes.add(c.get().getCode());
      }
      assertEquals(1, codes.stream().filter(c -> c == Status.Code.RESOURCE_EXHAUSTED).count(), codes.toString());
      assertEquals(3, codes.stream().filter(c -> c == Status.Code.OK).count(), codes.toString());
      assertEquals(2, provider.maxInFlight.get(), "never more calls in flight than max-in-flight");
    } finally {
      pool.shutdownNow();
      for (int i = 0; i < 4; i++) {
        csi.unpublish("v", driver.target("bp" + i, "v"));
      }
    }
  }
}
