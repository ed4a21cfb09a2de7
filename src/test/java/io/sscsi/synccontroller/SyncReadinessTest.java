package io.sscsi.synccontroller;

import io.sscsi.testkit.MockApiServers;
import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sscsi.k8s.KubeReachability;
import io.sscsi.k8s.WatchLiveness;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.testkit.Await;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sync controller's {@code /readyz} check is the driver's: {@link KubeReachability} over its three
 * watches with {@link WatchLiveness}, so with {@code --watch-stale-after} a running watch that has
 * seen no event or bookmark for that long is a problem, and an event clears it. Time is a fake
 * monotonic clock.
 */
class SyncReadinessTest {
  final ActorTestKit kit = ActorTestKit.create();
  final KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
      new ApplyRecordingCrud(), false);
  KubernetesClient client;
  SyncWatches watches;

  @AfterEach
  void stop() {
    watches.close();
    client.close();
    MockApiServers.destroy(server);
    kit.shutdownTestKit();
  }

  @Test
  void aWatchThatHearsNothingForWatchStaleAfterIsAProblemUntilAnEvent() {
    server.init();
    client = server.createClient();
    TestProbe<SecretSyncGroup.Command> group = kit.createTestProbe();
    watches = new SyncWatches(client, group.getRef());
    AtomicLong nanos = new AtomicLong();
    KubeReachability ready = watches.reachability(new WatchLiveness(Duration.ofSeconds(5), nanos::get));
    assertTrue(ready.problem().isPresent(), "not ready before the watches run");
    watches.start();
    Await.until("all three watches run", () -> ready.problem().isEmpty());

    nanos.addAndGet(Duration.ofSeconds(6).toNanos());
    String stale = ready.problem().orElseThrow();
    assertTrue(stale.contains("has seen no event or bookmark for 6 s"), stale);

    SecretProviderClass c = new SecretProviderClass();
    c.getMetadata().setNamespace("team");
    c.getMetadata().setName("spc");
    c.setSpec(new SecretProviderClassSpec("vault", Map.of(), null));
    client.resources(SecretProviderClass.class).inNamespace("team").resource(c).create();
    Await.until("the class watch's event clears its staleness",
        () -> ready.problem().filter(p -> p.contains("SecretProviderClasses")).isEmpty());
    assertTrue(ready.problem().isPresent(), "the other two watches are still stale");
  }
}
