package io.sscsi.provider;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Provider faults: a dead provider's circuit, a hanging provider beside a healthy one, a moved socket. */
@EnableKubernetesMockClient(crud = true)
class ProviderFaultsTest {
  static KubernetesClient client;
  static DriverHarness driver;
  static Path extraDir;
  static Cluster cluster;

  @BeforeAll
  static void start() throws Exception {
    extraDir = Files.createTempDirectory("sscsi-extra-providers");
    driver = DriverHarness.start(client, Map.of(
        "sscsi.driver.additional-provider-volume-paths", List.of(extraDir.toString()),
        "sscsi.driver.provider.call-timeout", "1500ms",
        "sscsi.driver.provider.circuit-breaker.max-failures", 2,
        "sscsi.driver.provider.circuit-breaker.reset-timeout", "1s"));
    cluster = new Cluster(client);
  }

  @AfterAll
  static void stop() throws Exception {
    driver.close();
    Files.deleteIfExists(extraDir);
  }

  static Status publish(String spc, String uid) {
    try (CsiClient csi = driver.client()) {
      return csi.publish(Requests.publish(driver.target(uid, "v"), "ns", "pod-" + uid, uid, spc).build());
    }
  }

  static Status unpublishStatus(String uid) {
    try (CsiClient csi = driver.client()) {
      return csi.unpublish("v", driver.target(uid, "v"));
    }
  }

  static void unpublish(String uid) {
    try (CsiClient csi = driver.client()) {
      csi.unpublish("v", driver.target(uid, "v"));
    }
  }

  @Test
  void deadProviderOpensItsCircuitAndATrialCallClosesIt() throws Exception {
    cluster.secretProviderClass("ns", "dead", "dead", Map.of("objects", "x"));
    Path socket = driver.providerDir.resolve("dead.sock");
    Files.createFile(socket); // a stale socket file nobody listens on
    try {
      assertEquals(Status.Code.UNAVAILABLE, publish("dead", "d1").getCode());
      assertEquals(Status.Code.UNAVAILABLE, publish("dead", "d2").getCode());
      long start = System.nanoTime();
      Status open = publish("dead", "d3");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(Status.Code.UNAVAILABLE, open.getCode());
      assertTrue(open.getDescription().contains("provider dead is failing"), open.getDescription());
      assertTrue(ms < 500, "an open circuit fails at once, took " + ms + " ms");

      Files.delete(socket);
      try (TestProvider revived = driver.provider("dead")) {
        Thread.sleep(1_200); // reset-timeout: the next call is the trial
        assertEquals(Status.Code.OK, publish("dead", "d4").getCode());
        assertEquals(Status.Code.OK, publish("dead", "d5").getCode());
        assertEquals(Status.Code.OK, unpublishStatus("d4").getCode());
        assertEquals(Status.Code.OK, unpublishStatus("d5").getCode());
      }
    } finally {
      Files.deleteIfExists(socket);
    }
    assertTrue(driver.mounts().isEmpty(), driver.mounts().toString());
  }

  @Test
  void aProviderProcessKilledMidCallFailsThePublishPromptlyAndLeavesNothing() throws Exception {
    cluster.secretProviderClass("ns", "crashing", "crashing", Map.of("objects", "x"));
    Path socket = driver.providerDir.resolve("crashing.sock");
    Path log = Files.createTempFile("crashing-provider", ".log");
    Process provider = io.sscsi.cli.Jvm.start(log, "io.sscsi.cli.ExitingProvider", socket.toString());
    try {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!Files.exists(socket) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      long start = System.nanoTime();
      Status status = publish("crashing", "k1");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
      assertTrue(ms < 5_000, "answered when the provider died, not at a deadline: " + ms + " ms");
      assertEquals(3, provider.waitFor(), "the provider process died inside Mount");
      assertTrue(driver.mounts().isEmpty(), "no mount left");
      assertFalse(Files.exists(driver.target("k1", "v")), "no directory left");
    } finally {
      io.sscsi.cli.Jvm.kill(provider);
      Files.deleteIfExists(socket);
      Files.deleteIfExists(log);
    }
  }

  @Test
  void aHangingProviderDoesNotSlowAnotherOne() throws Exception {
    cluster.secretProviderClass("ns", "hangs", "hangs", Map.of("objects", "x"));
    cluster.secretProviderClass("ns", "healthy", "healthy", Map.of("objects", "x"));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (TestProvider hangs = driver.provider("hangs"); TestProvider healthy = driver.provider("healthy")) {
      hangs.answer(r -> new CompletableFuture<>());
      healthy.answerNow(TestProvider.files(Map.of("k", "v")));
      assertEquals(Status.Code.OK, publish("healthy", "warm").getCode()); // first call dials the provider
      unpublish("warm");
      Future<Status> stuck1 = pool.submit(() -> publish("hangs", "h1"));
      Future<Status> stuck2 = pool.submit(() -> publish("hangs", "h2"));
      Thread.sleep(200);
      long start = System.nanoTime();
      assertEquals(Status.Code.OK, publish("healthy", "ok1").getCode());
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms < 1_000, "the healthy provider answered in " + ms + " ms while the other hangs");
      assertEquals(Status.Code.DEADLINE_EXCEEDED, stuck1.get().getCode());
      assertEquals(Status.Code.DEADLINE_EXCEEDED, stuck2.get().getCode());
      unpublish("ok1");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aProviderWhoseSocketMovesIsFoundAgainWithoutARestart() throws Exception {
    cluster.secretProviderClass("ns", "mover", "mover", Map.of("objects", "x"));
    try (TestProvider first = driver.provider("mover")) {
      first.answerNow(TestProvider.files(Map.of("k", "from-provider-volume")));
      assertEquals(Status.Code.OK, publish("mover", "m1").getCode());
    }
    try (TestProvider moved = TestProvider.start(extraDir, "mover")) {
      moved.answerNow(TestProvider.files(Map.of("k", "from-additional-dir")));
      assertEquals(Status.Code.OK, publish("mover", "m2").getCode());
      assertEquals("from-additional-dir", Files.readString(driver.target("m2", "v").resolve("k")));
    }
    unpublish("m1");
    unpublish("m2");
  }
}
