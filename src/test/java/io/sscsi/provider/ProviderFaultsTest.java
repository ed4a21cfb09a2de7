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

/**
 * Provider faults through the whole driver: a dead provider's calls wait for it until their deadline
 * and then open its circuit, a provider killed mid-call, a hanging provider beside a healthy one, a
 * moved socket.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
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
        "sscsi.driver.provider.call-timeout", "5s",
        "sscsi.driver.provider.circuit-breaker.max-failures", 2,
        // long enough that the third call below always meets the open circuit, however slow the machine
        // (at 1 s a loaded machine let it arrive after the reset, as the trial); the trial awaits it
        "sscsi.driver.provider.circuit-breaker.reset-timeout", "10s"));
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

  /** Polls {@code condition} until it holds; fails after 30 s. */
  static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    Await.until(what, condition::getAsBoolean);
  }

  static boolean answersVersion(Path socket) {
    if (!Files.exists(socket)) {
      return false;
    }
    io.grpc.ManagedChannel channel = io.sscsi.grpc.UnixChannels.open(socket, 1 << 20);
    try {
      io.grpc.stub.ClientCalls.blockingUnaryCall(channel, ProviderMethods.VERSION,
          io.grpc.CallOptions.DEFAULT.withDeadlineAfter(2, java.util.concurrent.TimeUnit.SECONDS),
          io.sscsi.provider.v1alpha1.VersionRequest.getDefaultInstance());
      return true;
    } catch (RuntimeException notYet) {
      return false;
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void deadProviderOpensItsCircuitAndATrialCallClosesIt() throws Exception {
    cluster.secretProviderClass("ns", "dead", "dead", Map.of("objects", "x"));
    Path socket = driver.providerDir.resolve("dead.sock");
    Files.createFile(socket); // a stale socket file nobody listens on
    try {
      // as upstream (waitForReady), a call waits for the provider until its deadline
      assertEquals(Status.Code.DEADLINE_EXCEEDED, publish("dead", "d1").getCode());
      assertEquals(Status.Code.DEADLINE_EXCEEDED, publish("dead", "d2").getCode());
      Status open = publish("dead", "d3");
      assertEquals(Status.Code.UNAVAILABLE, open.getCode());
      assertTrue(open.getDescription().contains("provider dead is failing"), "the open circuit answered: "
          + open.getDescription());

      Files.delete(socket);
      try (TestProvider revived = driver.provider("dead")) {
        // after reset-timeout the next call is the trial; until then calls fail at once
        Await.until("the trial call succeeds", java.time.Duration.ofSeconds(90),
            () -> publish("dead", "d4").getCode() == Status.Code.OK);
        assertEquals(Status.Code.OK, publish("dead", "d5").getCode(), "the circuit is closed again");
        assertEquals(Status.Code.OK, unpublishStatus("d4").getCode());
        assertEquals(Status.Code.OK, unpublishStatus("d5").getCode());
      }
    } finally {
      Files.deleteIfExists(socket);
    }
    assertTrue(driver.mounts().isEmpty(), driver.mounts().toString());
  }

  @Test
  void aProviderProcessKilledMidCallFailsThePublishAndLeavesNothing() throws Exception {
    cluster.secretProviderClass("ns", "crashing", "crashing", Map.of("objects", "x"));
    Path socket = driver.providerDir.resolve("crashing.sock");
    Path log = Files.createTempFile("crashing-provider", ".log");
    Process provider = io.sscsi.cli.Jvm.start(log, "io.sscsi.cli.ExitingProvider", socket.toString());
    try {
      awaitTrue(() -> answersVersion(socket), "the provider answers");
      Status status = publish("crashing", "k1");
      // the retry waits for the dead provider (waitForReady) until the call's deadline
      assertTrue(status.getCode() == Status.Code.DEADLINE_EXCEEDED || status.getCode() == Status.Code.UNAVAILABLE,
          status.toString());
      assertTrue(provider.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the provider process exited");
      assertEquals(3, provider.exitValue(), "the provider process died inside Mount");
      assertTrue(driver.mounts().isEmpty(), "no mount left");
      assertFalse(Files.exists(driver.target("k1", "v")), "no directory left");
    } finally {
      io.sscsi.cli.Jvm.kill(provider);
      Files.deleteIfExists(socket);
      Files.deleteIfExists(log);
    }
  }

  @Test
  void aHangingProviderDoesNotHoldUpAnotherOne() throws Exception {
    cluster.secretProviderClass("ns", "hangs", "hangs", Map.of("objects", "x"));
    cluster.secretProviderClass("ns", "healthy", "healthy", Map.of("objects", "x"));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (TestProvider hangs = driver.provider("hangs"); TestProvider healthy = driver.provider("healthy")) {
      hangs.answer(r -> new CompletableFuture<>());
      healthy.answerNow(TestProvider.files(Map.of("k", "v")));
      Future<Status> stuck1 = pool.submit(() -> publish("hangs", "h1"));
      Future<Status> stuck2 = pool.submit(() -> publish("hangs", "h2"));
      awaitTrue(() -> hangs.inFlight.get() == 2, "both calls hang in the provider");
      assertEquals(Status.Code.OK, publish("healthy", "ok1").getCode(), "another provider's pool is not blocked");
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
