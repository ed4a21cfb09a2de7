package io.sscsi.synccontroller;

import io.sscsi.testkit.MockApiServers;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.metrics.SyncControllerMetrics;
import io.sscsi.provider.ProviderHealth;
import io.sscsi.provider.ProviderPools;
import io.sscsi.provider.ProviderRegistry;
import io.sscsi.provider.ProviderSettings;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncSpec;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.TestClock;
import io.sscsi.testkit.TestProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * The sync controller's actors and watches against fabric8's CRUD mock ({@link ApplyRecordingCrud})
 * and test providers over real unix sockets, on the test's time: the SecretSync actors run in an
 * actor system on pekko's ManualTime with a {@link TestClock} moved with it ({@link #advance}), and
 * a fixed jitter of 0.5 (every delay exactly as configured). The provider pool lives in a second
 * system on real time, and the sync run's deadlines and status times are real time too (they are
 * not under test here).
 */
final class SyncHarness implements AutoCloseable {
  final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  final ActorTestKit providerKit = ActorTestKit.create();
  final ManualTime time = ManualTime.get(kit.system());
  final TestClock clock = new TestClock(Instant.now());
  final ApplyRecordingCrud crud = new ApplyRecordingCrud();
  final KubernetesMockServer server;
  final KubernetesClient client;
  final Map<String, TestProvider> providers = new LinkedHashMap<>();
  /** The provider pool's answer checks (the process's blocking-io dispatcher). */
  final ExecutorService blocking = Executors.newFixedThreadPool(8);
  /**
   * The sync runs (the process's sync-run dispatcher): a run blocks until its provider answers, and that
   * answer is checked on {@link #blocking}, so runs get threads of their own, one per slot of each lane.
   */
  final ExecutorService runs;
  final SyncWatches watches;
  final ActorRef<SecretSyncGroup.Command> group;

  /**
   * @param maxConcurrent the group's sync slots
   * @param providerSlots the provider pool's calls in flight per provider
   * @param global {@code --rotation-poll-interval}
   * @param tokens the TokenRequest answer (audiences given: one token per audience)
   */
  SyncHarness(Path dir, int maxConcurrent, int providerSlots, Duration global, List<String> audiences,
      TokenCache.Requester tokens, String... providerNames) throws Exception {
    runs = Executors.newFixedThreadPool(maxConcurrent * providerNames.length);
    DriverMetrics.init(providerKit.system().settings().config());
    SyncControllerMetrics.init();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), crud, false);
    server.init();
    client = server.createClient();
    for (String name : providerNames) {
      providers.put(name, TestProvider.start(dir, name));
    }
    var registry = providerKit.spawn(ProviderRegistry.create(new ProviderSettings(List.of(dir), providerSlots, 4096,
        Duration.ofSeconds(60), 4 << 20), new ProviderHealth(), Clock.systemUTC(),
        DispatcherSelector.defaultDispatcher()));
    List<SyncWatches> holder = new ArrayList<>();
    KubeSyncApi api = new KubeSyncApi(client, key -> holder.get(0).cachedClass(key));
    TokenCache tokenCache = new TokenCache(audiences, tokens, clock);
    SyncRun run = new SyncRun(api, new ProviderPools(registry, providerKit.scheduler(), Clock.systemUTC(), blocking,
        io.sscsi.fs.PayloadRules.Policy.UPSTREAM), tokenCache, "ctrl-0", "ctrl-uid", Duration.ofSeconds(60),
        Clock.systemUTC()); // the run's deadline is compared with the pool's clock: both real

    SyncDeps deps = new SyncDeps(run, api, runs, new SyncTiming(SyncTiming.defaultBackoff(), () -> 0.5), global,
        clock, key -> holder.get(0).cachedClass(key).flatMap(c -> c).map(c -> c.getSpec().provider()).orElse(""));
    group = kit.spawn(SecretSyncGroup.create(deps, maxConcurrent));
    watches = new SyncWatches(client, group);
    holder.add(watches);
    watches.start();
  }

  SyncHarness(Path dir, String... providerNames) throws Exception {
    this(dir, 16, 16, Duration.ZERO, List.of(), (a, b, c, d) -> {
      throw new AssertionError("no audience, no token");
    }, providerNames);
  }

  TestProvider provider(String name) {
    return providers.get(name);
  }

  /** Moves the clock and fires the timers due. */
  void advance(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  void spc(String ns, String name, String provider, Map<String, String> parameters) {
    SecretProviderClass c = new SecretProviderClass();
    c.getMetadata().setNamespace(ns);
    c.getMetadata().setName(name);
    c.setSpec(new SecretProviderClassSpec(provider, parameters, null));
    client.resources(SecretProviderClass.class).inNamespace(ns).resource(c).createOr(x -> x.update());
  }

  /** A SecretSync whose Secret's key {@code DB_PASSWORD} is the provider's file {@code password}. */
  void secretSync(String ns, String name, String spc, Map<String, String> annotations) {
    SecretSync s = new SecretSync();
    s.getMetadata().setNamespace(ns);
    s.getMetadata().setName(name);
    s.getMetadata().setAnnotations(annotations);
    s.setSpec(new SecretSyncSpec(spc, "default", new SecretSyncSpec.SecretObject(null,
        List.of(new SecretSyncSpec.SecretObjectData("password", "DB_PASSWORD")), null, null), null, null));
    client.resources(SecretSync.class).inNamespace(ns).resource(s).create();
  }

  SecretSync get(String ns, String name) {
    return client.resources(SecretSync.class).inNamespace(ns).withName(name).get();
  }

  /** The Secret's {@code DB_PASSWORD}, null while it is absent. */
  String value(String ns, String name) {
    Secret s = client.secrets().inNamespace(ns).withName(name).get();
    if (s == null || s.getData() == null || s.getData().get("DB_PASSWORD") == null) {
      return null;
    }
    return new String(Base64.getDecoder().decode(s.getData().get("DB_PASSWORD")), StandardCharsets.UTF_8);
  }

  /** Every actor's view, keyed {@code namespace/name}. */
  Map<String, SyncView> views() {
    TestProbe<List<ActorRef<SecretSyncActor.Command>>> actors = kit.createTestProbe();
    group.tell(new SecretSyncGroup.ListActors(actors.getRef()));
    Map<String, SyncView> all = new HashMap<>();
    TestProbe<SyncView> probe = kit.createTestProbe();
    for (ActorRef<SecretSyncActor.Command> a : actors.receiveMessage()) {
      a.tell(new SecretSyncActor.Describe(probe.getRef()));
      SyncView v = probe.receiveMessage();
      all.put(v.namespace() + "/" + v.name(), v);
    }
    return all;
  }

  Optional<SyncView> view(String ns, String name) {
    return Optional.ofNullable(views().get(ns + "/" + name));
  }

  /** Waits until the actor of {@code ns/name} is idle with {@code syncs} syncs done; its view. */
  SyncView awaitIdle(String ns, String name, long syncs) {
    return Await.value(ns + "/" + name + " idle after " + syncs + " sync(s)", () -> view(ns, name).orElse(null),
        v -> v != null && v.state().equals("idle") && v.syncs() >= syncs);
  }

  @Override
  public void close() {
    watches.close();
    providers.values().forEach(TestProvider::close);
    client.close();
    MockApiServers.destroy(server);
    kit.shutdownTestKit();
    providerKit.shutdownTestKit();
    blocking.shutdownNow();
    runs.shutdownNow();
  }
}
