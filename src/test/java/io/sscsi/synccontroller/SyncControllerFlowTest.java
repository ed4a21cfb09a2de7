package io.sscsi.synccontroller;

import io.sscsi.testkit.MockApiServers;
import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.provider.ProviderHealth;
import io.sscsi.provider.ProviderPools;
import io.sscsi.provider.ProviderRegistry;
import io.sscsi.provider.ProviderSettings;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncSpec;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.TestProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The controller's actors and watches against fabric8's CRUD mock, with the real provider protocol
 * over a unix socket: a SecretSync gives its Secret; a Secret deleted or edited by hand is restored
 * from what was applied (no provider call); a class edit re-syncs the SecretSyncs naming it; a
 * missing class is misconfigured until it appears; the admin view shows no value.
 */
class SyncControllerFlowTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  @TempDir Path dir;
  ActorTestKit kit;
  KubernetesMockServer server;
  KubernetesClient client;
  TestProvider provider;
  SyncWatches watches;
  ActorRef<SecretSyncGroup.Command> group;

  @BeforeEach
  void start() throws Exception {
    kit = ActorTestKit.create();
    DriverMetrics.init(kit.system().settings().config());
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new ApplyRecordingCrud(),
        false);
    server.init();
    client = server.createClient();
    provider = TestProvider.start(dir, "vault");
    var registry = kit.spawn(ProviderRegistry.create(new ProviderSettings(List.of(dir), 4, 8, Duration.ofSeconds(30),
        4 << 20), new ProviderHealth(), Clock.systemUTC(), DispatcherSelector.defaultDispatcher()));
    TokenCache tokens = new TokenCache(List.of(), (a, b, c, d) -> fail("no audience"), Clock.systemUTC());
    List<SyncWatches> holder = new ArrayList<>();
    KubeSyncApi api = new KubeSyncApi(client, key -> holder.get(0).cachedClass(key));
    SyncRun run = new SyncRun(api, new ProviderPools(registry, kit.scheduler(), Clock.systemUTC(),
        java.util.concurrent.ForkJoinPool.commonPool(), io.sscsi.fs.PayloadRules.Policy.UPSTREAM), tokens, "ctrl-0",
        "ctrl-uid", Duration.ofSeconds(30), Clock.systemUTC());
    SyncDeps deps = new SyncDeps(run, api, Executors.newFixedThreadPool(4), new SyncTiming(SyncTiming.defaultBackoff(),
        () -> 0.5), Duration.ZERO, Clock.systemUTC());
    group = kit.spawn(SecretSyncGroup.create(deps, 4));
    watches = new SyncWatches(client, group);
    holder.add(watches);
    watches.start();
  }

  @AfterEach
  void stop() {
    watches.close();
    provider.close();
    client.close();
    MockApiServers.destroy(server);
    kit.shutdownTestKit();
  }

  static <T> T eventually(Supplier<T> value, Predicate<T> ok, String what) {
    return Await.value(what, value::get, ok);
  }

  void spc(String ns, String name, Map<String, String> parameters) {
    SecretProviderClass c = new SecretProviderClass();
    c.getMetadata().setNamespace(ns);
    c.getMetadata().setName(name);
    c.setSpec(new SecretProviderClassSpec("vault", parameters, null));
    client.resources(SecretProviderClass.class).inNamespace(ns).resource(c).createOr(x -> x.update());
  }

  void secretSync(String ns, String name, String spc) {
    SecretSync s = new SecretSync();
    s.getMetadata().setNamespace(ns);
    s.getMetadata().setName(name);
    s.setSpec(new SecretSyncSpec(spc, "default", new SecretSyncSpec.SecretObject(null,
        List.of(new SecretSyncSpec.SecretObjectData("password", "DB_PASSWORD")), null, null), null, null));
    client.resources(SecretSync.class).inNamespace(ns).resource(s).create();
  }

  String value(String ns, String name) {
    Secret s = client.secrets().inNamespace(ns).withName(name).get();
    if (s == null || s.getData() == null || s.getData().get("DB_PASSWORD") == null) {
      return null;
    }
    return new String(Base64.getDecoder().decode(s.getData().get("DB_PASSWORD")), StandardCharsets.UTF_8);
  }

  @Test
  void aSecretDeletedOrEditedByHandIsRestoredAndAClassEditResyncs() throws Exception {
    spc("team", "db-spc", Map.of("objects", "one"));
    provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t-1")));
    secretSync("team", "db", "db-spc");
    eventually(() -> value("team", "db"), "s3cr3t-1"::equals, "the Secret is written");
    int calls = provider.requests.size();

    client.secrets().inNamespace("team").withName("db").delete();
    eventually(() -> value("team", "db"), "s3cr3t-1"::equals, "the deleted Secret is restored");

    client.secrets().inNamespace("team").withName("db").edit(s -> {
      s.getData().put("DB_PASSWORD", Base64.getEncoder().encodeToString("by-hand".getBytes(StandardCharsets.UTF_8)));
      return s;
    });
    eventually(() -> value("team", "db"), "s3cr3t-1"::equals, "the edited Secret is restored");
    assertEquals(calls, provider.requests.size(), "restored from what was applied, without a provider call");

    provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t-2")));
    spc("team", "db-spc", Map.of("objects", "two"));
    eventually(() -> value("team", "db"), "s3cr3t-2"::equals, "the class edit re-synced the SecretSync");

    TestProbe<List<ActorRef<SecretSyncActor.Command>>> actors = kit.createTestProbe();
    group.tell(new SecretSyncGroup.ListActors(actors.getRef()));
    ActorRef<SecretSyncActor.Command> actor = actors.receiveMessage().get(0);
    TestProbe<SyncView> view = kit.createTestProbe();
    actor.tell(new SecretSyncActor.Describe(view.getRef()));
    SyncView v = view.receiveMessage();
    assertEquals(List.of("DB_PASSWORD"), v.keys());
    assertTrue(v.restores() >= 2, "two restores: " + v);
    String shown = JSON.writeValueAsString(v);
    assertFalse(shown.contains("s3cr3t") || shown.contains(Base64.getEncoder().encodeToString(
        "s3cr3t-2".getBytes(StandardCharsets.UTF_8))), shown);
  }

  @Test
  void aMissingClassIsMisconfiguredUntilItIsCreated() throws Exception {
    provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t-1")));
    secretSync("team", "late", "late-spc");
    eventually(() -> client.resources(SecretSync.class).inNamespace("team").withName("late").get().getStatus(),
        st -> st != null && SyncStatus.find(st.conditions(), "SecretCreated")
            .filter(c -> "SecretProviderClassMisconfigured".equals(c.getReason())).isPresent(),
        "the condition says the class is misconfigured");
    assertTrue(provider.requests.isEmpty(), "no provider call without a class");
    spc("team", "late-spc", Map.of("objects", "one"));
    eventually(() -> value("team", "late"), "s3cr3t-1"::equals, "the class's creation synced it");
  }
}
