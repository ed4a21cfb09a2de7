package io.sscsi.synccontroller;

import io.sscsi.testkit.MockApiServers;
import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
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
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncSpec;
import io.sscsi.testkit.TestProvider;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One sync, with the real provider protocol over a unix socket (through the driver's provider pool)
 * and fabric8's CRUD mock as the API server ({@link ApplyRecordingCrud} records the server-side
 * applies the mock cannot serve).
 */
class SyncRunTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  @TempDir Path dir;
  ActorTestKit kit;
  KubernetesMockServer server;
  ApplyRecordingCrud crud;
  KubernetesClient client;
  TestProvider provider;
  SyncRun run;

  @BeforeEach
  void start() throws Exception {
    kit = ActorTestKit.create();
    DriverMetrics.init(kit.system().settings().config());
    crud = new ApplyRecordingCrud();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), crud, false);
    server.init();
    client = server.createClient();
    provider = TestProvider.start(dir, "vault");
    ProviderSettings settings = new ProviderSettings(List.of(dir), 4, 8, Duration.ofSeconds(30), 4 << 20);
    var registry = kit.spawn(ProviderRegistry.create(settings, new ProviderHealth(), Clock.systemUTC(),
        DispatcherSelector.defaultDispatcher()));
    TokenCache tokens = new TokenCache(List.of(), (a, b, c, d) -> fail("no audience, no token"), Clock.systemUTC());
    run = new SyncRun(new KubeSyncApi(client, null), new ProviderPools(registry, kit.scheduler(), Clock.systemUTC(),
        java.util.concurrent.ForkJoinPool.commonPool(), io.sscsi.fs.PayloadRules.Policy.UPSTREAM),
        tokens, "ctrl-0", "ctrl-uid", Duration.ofSeconds(30), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    provider.close();
    client.close();
    MockApiServers.destroy(server);
    kit.shutdownTestKit();
  }

  void spc(String ns, String name, Map<String, String> parameters) {
    SecretProviderClass c = new SecretProviderClass();
    c.getMetadata().setNamespace(ns);
    c.getMetadata().setName(name);
    c.setSpec(new SecretProviderClassSpec("vault", parameters, null));
    client.resources(SecretProviderClass.class).inNamespace(ns).resource(c).create();
  }

  SecretSync secretSync(String ns, String name, String spc, String type, Map<String, String> paths) {
    SecretSync s = new SecretSync();
    s.getMetadata().setNamespace(ns);
    s.getMetadata().setName(name);
    s.setSpec(new SecretSyncSpec(spc, "default", new SecretSyncSpec.SecretObject(type,
        paths.entrySet().stream().map(e -> new SecretSyncSpec.SecretObjectData(e.getKey(), e.getValue())).toList(),
        Map.of("team", "a"), null), null, null));
    return client.resources(SecretSync.class).inNamespace(ns).resource(s).create();
  }

  SecretSync reread(SecretSync s) {
    return client.resources(SecretSync.class).inNamespace(s.getMetadata().getNamespace())
        .withName(s.getMetadata().getName()).get();
  }

  Secret secret(String ns, String name) {
    return client.secrets().inNamespace(ns).withName(name).get();
  }

  static String value(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }

  @Test
  void aSyncCallsTheProviderAsSscDoesAndAppliesTheSecret() throws Exception {
    spc("team", "db-spc", null); // no parameters: SSC panics, we must not
    provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t-1")));
    SecretSync s = secretSync("team", "db", "db-spc", null, Map.of("password", "DB_PASSWORD"));

    SyncRun.Result first = run.run(s, SyncRun.Known.nothing());
    assertInstanceOf(SyncStatus.Synced.class, first.outcome(), () -> String.valueOf(first.outcome()));
    assertTrue(first.wrote());

    MountRequest sent = provider.requests.get(0);
    JsonNode attributes = JSON.readTree(sent.getAttributes());
    assertEquals("ctrl-0", attributes.get("csi.storage.k8s.io/pod.name").asString());
    assertEquals("ctrl-uid", attributes.get("csi.storage.k8s.io/pod.uid").asString());
    assertEquals("team", attributes.get("csi.storage.k8s.io/pod.namespace").asString());
    assertEquals("default", attributes.get("csi.storage.k8s.io/serviceAccount.name").asString());
    assertEquals("{}", sent.getSecrets());
    assertEquals("420", sent.getPermission());
    assertEquals("/mnt/secrets-store", sent.getTargetPath());
    assertEquals(0, sent.getCurrentObjectVersionCount());

    Secret written = secret("team", "db");
    assertEquals("s3cr3t-1", value(written, "DB_PASSWORD"));
    assertEquals("", written.getMetadata().getLabels().get("secrets-store.sync.x-k8s.io"));
    assertEquals("a", written.getMetadata().getLabels().get("team"));
    assertEquals(1, written.getMetadata().getOwnerReferences().size());
    assertEquals(s.getMetadata().getUid(), written.getMetadata().getOwnerReferences().get(0).getUid());

    ApplyRecordingCrud.Apply apply = crud.applies.get(0);
    assertEquals("application/apply-patch+yaml", apply.contentType());
    assertTrue(apply.path().startsWith("/api/v1/namespaces/team/secrets/db?"), apply.path());
    assertTrue(apply.path().contains("fieldManager=secrets-store-sync-controller"), apply.path());
    assertTrue(apply.path().contains("force=true"), apply.path());
    JsonNode body = JSON.readTree(apply.body());
    assertEquals("Secret", body.get("kind").asString());
    assertEquals("Opaque", body.get("type").asString());
    assertEquals("SecretSync", body.get("metadata").get("ownerReferences").get(0).get("kind").asString());
    assertFalse(body.get("metadata").get("ownerReferences").get(0).has("controller"));
    assertEquals(Base64.getEncoder().encodeToString("s3cr3t-1".getBytes(StandardCharsets.UTF_8)),
        body.get("data").get("DB_PASSWORD").asString());

    SecretSync after = reread(s);
    assertEquals(first.status().syncHash(), after.getStatus().syncHash());
    assertEquals("CreateSuccessful", SyncStatus.find(after.getStatus().conditions(), "SecretCreated").orElseThrow()
        .getReason());
    assertFalse(JSON.writeValueAsString(after.getStatus()).contains("s3cr3t"), "no value in the status");

    // Unchanged content: the provider is asked, nothing is written.
    SyncRun.Known known = new SyncRun.Known(Optional.of(first.status().syncHash()), false, first.applied());
    SyncRun.Result second = run.run(after, known);
    assertInstanceOf(SyncStatus.Synced.class, second.outcome());
    assertFalse(second.wrote());
    assertEquals(1, crud.applies.size());
    assertEquals(2, provider.requests.size());

    // New content: written.
    provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t-2")));
    SyncRun.Result third = run.run(reread(s), known);
    assertTrue(third.wrote());
    assertEquals("s3cr3t-2", value(secret("team", "db"), "DB_PASSWORD"));
    assertEquals("SecretUpToDate", SyncStatus.find(reread(s).getStatus().conditions(), "SecretUpdated").orElseThrow()
        .getReason());
  }

  @Test
  void aMissingClassOrAClassInAnotherNamespaceIsMisconfiguredWithoutAProviderCall() {
    spc("elsewhere", "db-spc", Map.of("objects", "x"));
    SecretSync s = secretSync("team", "db", "db-spc", null, Map.of("password", "DB_PASSWORD"));
    SyncRun.Result r = run.run(s, SyncRun.Known.nothing());
    SyncFailure f = ((SyncStatus.Failed) r.outcome()).failure();
    assertEquals("SecretProviderClassMisconfigured", f.reason());
    assertTrue(f.message().contains("db-spc"), f.message());
    assertTrue(provider.requests.isEmpty());
    assertFalse(r.providerCalled());
    assertNull(secret("team", "db"));
    assertEquals("False", SyncStatus.find(reread(s).getStatus().conditions(), "SecretCreated").orElseThrow().getStatus());
  }

  @Test
  void aSourcePathTheProviderDidNotReturnIsNamedAndTheSecretIsLeftAsItWas() {
    spc("team", "db-spc", Map.of("objects", "x"));
    provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t-1")));
    SecretSync s = secretSync("team", "db", "db-spc", null, Map.of("password", "DB_PASSWORD"));
    SyncRun.Result ok = run.run(s, SyncRun.Known.nothing());
    provider.answerNow(TestProvider.files(Map.of("renamed", "s3cr3t-2")));
    SyncRun.Result r = run.run(reread(s), new SyncRun.Known(Optional.of(ok.status().syncHash()), false, ok.applied()));
    SyncFailure f = ((SyncStatus.Failed) r.outcome()).failure();
    assertEquals("RemoteSecretStoreFetchFailed", f.reason());
    assertTrue(f.message().contains("\"password\""), f.message());
    assertEquals("s3cr3t-1", value(secret("team", "db"), "DB_PASSWORD"));
    var updated = SyncStatus.find(reread(s).getStatus().conditions(), "SecretUpdated").orElseThrow();
    assertEquals("False", updated.getStatus());
    assertTrue(updated.getMessage().contains("password") && !updated.getMessage().contains("s3cr3t"));
  }

  @Test
  void aPreExistingSecretWithoutOurLabelAndOwnerIsNeverTakenOver() {
    spc("team", "db-spc", Map.of("objects", "x"));
    client.secrets().inNamespace("team").resource(new SecretBuilder().withNewMetadata().withName("db")
        .withNamespace("team").endMetadata().addToData("DB_PASSWORD", "b2xk").build()).create();
    SecretSync s = secretSync("team", "db", "db-spc", null, Map.of("foo", "DB_PASSWORD"));
    SyncRun.Result r = run.run(s, SyncRun.Known.nothing());
    SyncFailure f = ((SyncStatus.Failed) r.outcome()).failure();
    assertEquals("ControllerSyncError", f.reason());
    assertTrue(f.message().contains("not managed"), f.message());
    assertTrue(crud.applies.isEmpty());
    assertEquals("b2xk", secret("team", "db").getData().get("DB_PASSWORD"));
  }

  @Test
  void aProviderFailureCarriesTheProvidersCodeAndAnAdmissionRefusalSaysSo() {
    spc("team", "db-spc", Map.of("objects", "x"));
    SecretSync s = secretSync("team", "db", "db-spc", null, Map.of("foo", "DB_PASSWORD"));
    provider.answer(r -> CompletableFuture.failedFuture(Status.PERMISSION_DENIED.withDescription("vault said no")
        .asRuntimeException()));
    SyncFailure f = ((SyncStatus.Failed) run.run(s, SyncRun.Known.nothing()).outcome()).failure();
    assertEquals("ProviderError", f.reason());
    assertTrue(f.message().contains("PERMISSION_DENIED") && f.message().contains("vault said no"), f.message());

    provider.answerNow(TestProvider.files(Map.of("foo", "v")));
    crud.refused.add("/api/v1/namespaces/team/secrets");
    SyncFailure refused = ((SyncStatus.Failed) run.run(reread(s), SyncRun.Known.nothing()).outcome()).failure();
    assertEquals("ControllerPatchError", refused.reason());
    assertEquals("403", refused.code());
    assertTrue(refused.message().contains("ValidatingAdmissionPolicy"), refused.message());
  }
}
