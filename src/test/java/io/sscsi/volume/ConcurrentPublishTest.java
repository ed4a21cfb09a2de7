package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.fs.MountEntry;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many volumes at once, and racing calls on one target: exactly the expected mounts, none leaked. */
@EnableKubernetesMockClient(crud = true)
@Integration
class ConcurrentPublishTest {
  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static ExecutorService pool = Executors.newFixedThreadPool(50);

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client);
    provider = driver.provider("fast");
    provider.answer(r -> CompletableFuture.supplyAsync(() -> TestProvider.files(Map.of("a", "1", "b/c", "2")),
        CompletableFuture.delayedExecutor(5, java.util.concurrent.TimeUnit.MILLISECONDS)));
    new Cluster(client).secretProviderClass("ns", "spc", "fast", Map.of("objects", "x"));
  }

  @AfterAll
  static void stop() throws Exception {
    pool.shutdownNow();
    provider.close();
    driver.close();
  }

  @Test
  void fiftyConcurrentPublishesOfDifferentVolumesThenUnpublishes() throws Exception {
    List<Path> targets = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      targets.add(driver.target("uid-" + i, "secrets"));
    }
    try (CsiClient csi = driver.client()) {
      List<Future<Status>> publishes = new ArrayList<>();
      for (int i = 0; i < targets.size(); i++) {
        Path t = targets.get(i);
        String uid = "uid-" + i;
        publishes.add(pool.submit(() -> csi.publish(Requests.publish(t, "ns", "pod-" + uid, uid, "spc").build())));
      }
      for (Future<Status> f : publishes) {
        assertEquals(Status.Code.OK, f.get().getCode(), f.get().toString());
      }
      List<Path> mounted = driver.mounts().stream().map(MountEntry::mountPoint).sorted().toList();
      assertEquals(targets.stream().sorted().toList(), mounted, "exactly one tmpfs per volume");
      for (Path t : targets) {
        assertEquals("2", Files.readString(t.resolve("b/c")));
      }

      List<Future<Status>> unpublishes = new ArrayList<>();
      for (Path t : targets) {
        unpublishes.add(pool.submit(() -> csi.unpublish("v", t)));
      }
      for (Future<Status> f : unpublishes) {
        assertEquals(Status.Code.OK, f.get().getCode());
      }
    }
    assertTrue(driver.mounts().isEmpty(), "no mount leaked");
    awaitNoVolumeActors();
  }

  @Test
  void racingPublishAndUnpublishPairsOnOneTargetLeakNothing() throws Exception {
    Path target = driver.target("uid-race", "secrets");
    try (CsiClient csi = driver.client()) {
      for (int round = 0; round < 10; round++) {
        Future<Status> publish = pool.submit(() -> csi.publish(Requests.publish(target, "ns", "racer", "uid-race", "spc").build()));
        Future<Status> unpublish = pool.submit(() -> csi.unpublish("v", target));
        assertEquals(Status.Code.OK, publish.get().getCode());
        assertEquals(Status.Code.OK, unpublish.get().getCode());
        long mountsAtTarget = driver.mounts().stream().filter(m -> m.mountPoint().equals(target)).count();
        assertTrue(mountsAtTarget <= 1, "never stacked mounts at one target");
        if (mountsAtTarget == 1) {
          assertEquals("1", Files.readString(target.resolve("a")), "a mounted target is never empty");
        }
      }
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    }
    assertTrue(driver.mounts().isEmpty(), "no mount leaked");
    assertFalse(Files.exists(target));
    awaitNoVolumeActors();
  }

  private static void awaitNoVolumeActors() {
    Await.until("idle volume actors are passivated", () -> driver.volumeActors() == 0);
  }
}
