package io.sscsi.synccontroller;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.sscsi.retry.Backoff;
import io.sscsi.provider.ProviderMountRequest;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncSpec;
import io.sscsi.synccontroller.model.SecretSyncStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The sync controller's pure decisions, table by table. */
class SyncDecisionsTest {
  static final JsonMapper JSON = JsonMapper.builder().build();

  static SecretSync sync(String ns, String name, String uid, SecretSyncSpec spec, Map<String, String> annotations) {
    SecretSync s = new SecretSync();
    s.getMetadata().setNamespace(ns);
    s.getMetadata().setName(name);
    s.getMetadata().setUid(uid);
    s.getMetadata().setGeneration(1L);
    s.getMetadata().setAnnotations(annotations);
    s.setSpec(spec);
    return s;
  }

  static SecretSyncSpec spec(String type, Map<String, String> paths) {
    return new SecretSyncSpec("spc", "sa", new SecretSyncSpec.SecretObject(type,
        paths.entrySet().stream().map(e -> new SecretSyncSpec.SecretObjectData(e.getKey(), e.getValue())).toList(),
        Map.of("app", "web"), Map.of("note", "n")), null, null);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "aud1|[aud1]",
      "'aud1, aud2'|[aud1, aud2]",
      "' aud1 ,aud2,,'|[aud1, aud2]",
      "''|[]",
      "a,a|[a]"})
  void audiencesAreSplitOnCommasAndTrimmed(String flag, String expected) {
    assertEquals(expected, Audiences.parse(flag).toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "10m|PT10M",
      "1h30m|PT1H30M",
      "0s|PT12H",
      "-5m|PT12H",
      "soon|PT12H"})
  void refreshIntervalAnnotationOrTheGlobalOne(String value, String expected) {
    SecretSync s = sync("ns", "x", "u", spec(null, Map.of("a", "a")), Map.of(SyncAnnotations.REFRESH_INTERVAL, value));
    assertEquals(expected, SyncAnnotations.interval(s, Duration.ofHours(12)).toString());
    assertEquals(expected.equals("PT12H"), SyncAnnotations.problem(s).isPresent());
  }

  @Test
  void retainOnDeleteOnlyWithTrue() {
    assertTrue(SyncAnnotations.retainOnDelete(sync("ns", "x", "u", null, Map.of(SyncAnnotations.RETAIN_ON_DELETE, "true"))));
    assertFalse(SyncAnnotations.retainOnDelete(sync("ns", "x", "u", null, Map.of(SyncAnnotations.RETAIN_ON_DELETE, "yes"))));
    assertFalse(SyncAnnotations.retainOnDelete(sync("ns", "x", "u", null, null)));
  }

  @Test
  void mountRequestIsSscsWithoutTokensWhenNoAudience() {
    SecretSync s = sync("team", "db", "u1", spec(null, Map.of("pw", "password")), null);
    ClassRef spc = new ClassRef("team", "spc", "file", null, "c1", 1L); // no parameters: must not fail
    ProviderMountRequest r = SyncMountRequest.build(spc, s, "ctrl-0", "pod-uid", Optional.empty());
    JsonNode a = JSON.readTree(r.attributesJson());
    assertEquals("ctrl-0", a.get("csi.storage.k8s.io/pod.name").asString());
    assertEquals("pod-uid", a.get("csi.storage.k8s.io/pod.uid").asString());
    assertEquals("team", a.get("csi.storage.k8s.io/pod.namespace").asString());
    assertEquals("sa", a.get("csi.storage.k8s.io/serviceAccount.name").asString());
    assertFalse(a.has("csi.storage.k8s.io/serviceAccount.tokens"));
    assertEquals(4, a.size());
    assertEquals("{}", r.secretsJson());
    assertEquals("420", r.permission());
    assertEquals("/mnt/secrets-store", r.targetPath());
    assertTrue(r.currentVersions().isEmpty());
  }

  @Test
  void mountRequestCarriesParametersAndTokens() {
    SecretSync s = sync("team", "db", "u1", spec(null, Map.of("pw", "password")), null);
    ClassRef spc = new ClassRef("team", "spc", "file", Map.of("objects", "x", "csi.storage.k8s.io/pod.name", "forged"),
        "c1", 1L);
    ProviderMountRequest r = SyncMountRequest.build(spc, s, "ctrl-0", "pod-uid", Optional.of("{\"aud\":{}}"));
    JsonNode a = JSON.readTree(r.attributesJson());
    assertEquals("x", a.get("objects").asString());
    assertEquals("ctrl-0", a.get("csi.storage.k8s.io/pod.name").asString(), "the controller's own values win");
    assertEquals("{\"aud\":{}}", a.get("csi.storage.k8s.io/serviceAccount.tokens").asString());
  }

  @Test
  void tokensAreOnePerAudienceCachedUntilEightyPercentOfTheirLifetime() {
    Instant[] now = {Instant.parse("2026-01-01T00:00:00Z")};
    java.time.Clock clock = new java.time.Clock() {
      public java.time.ZoneId getZone() { return java.time.ZoneOffset.UTC; }
      public java.time.Clock withZone(java.time.ZoneId z) { return this; }
      public Instant instant() { return now[0]; }
    };
    AtomicInteger requests = new AtomicInteger();
    TokenCache cache = new TokenCache(List.of("a1", "a2"), (ns, sa, aud, secs) -> {
      assertEquals(600, secs);
      return new TokenCache.Token("t-" + aud + "-" + requests.incrementAndGet(), now[0].plusSeconds(secs));
    }, clock);
    String first = cache.tokensJson("ns", "sa").orElseThrow();
    assertEquals(2, requests.get());
    JsonNode j = JSON.readTree(first);
    assertTrue(j.get("a1").get("token").asString().startsWith("t-a1-"));
    assertEquals("2026-01-01T00:10:00Z", j.get("a2").get("expirationTimestamp").asString());
    now[0] = now[0].plusSeconds(479);
    assertEquals(first, cache.tokensJson("ns", "sa").orElseThrow(), "reused before 80% of 600 s");
    assertEquals(2, requests.get());
    now[0] = now[0].plusSeconds(1);
    assertNotEquals(first, cache.tokensJson("ns", "sa").orElseThrow(), "renewed at 80%");
    assertEquals(4, requests.get());
    assertTrue(new TokenCache(List.of(), (a, b, c, d) -> fail("no audience: no request"), clock)
        .tokensJson("ns", "sa").isEmpty());
  }

  @Test
  void contentMapsSourcePathsAndAddsTheManagedLabel() {
    SecretContent.Desired d = SecretContent.build(spec(null, Map.of("password", "DB_PASSWORD", "v/1", "old")).secretObject(),
        Map.of("password", b("s3cr3t"), "v/1", b("x"), "other", b("y")));
    assertEquals("Opaque", d.type());
    assertEquals("s3cr3t", new String(d.data().get("DB_PASSWORD"), StandardCharsets.UTF_8));
    assertEquals(List.of("DB_PASSWORD", "old"), List.copyOf(d.data().keySet()));
    assertEquals(Map.of("app", "web", "secrets-store.sync.x-k8s.io", ""), d.labels());
    assertFalse(d.toString().contains("s3cr3t"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "missing|RemoteSecretStoreFetchFailed|missing",
      "label|InvalidClusterSecretLabelError|secrets-store.sync.x-k8s.io/x",
      "annotation|InvalidClusterSecretAnnotationError|secrets-store.sync.x-k8s.io.y",
      "tlsNoKey|ControllerSyncError|tls.key",
      "tlsBadPem|ControllerSyncError|neither PEM nor"})
  void badContentFailsWithSscsReasonNamingThePathNeverTheValue(String kase, String reason, String named) {
    SecretSyncSpec.SecretObject o = switch (kase) {
      case "missing" -> new SecretSyncSpec.SecretObject(null, List.of(new SecretSyncSpec.SecretObjectData("missing", "k")),
          null, null);
      case "label" -> new SecretSyncSpec.SecretObject(null, List.of(new SecretSyncSpec.SecretObjectData("p", "k")),
          Map.of("secrets-store.sync.x-k8s.io/x", "1"), null);
      case "annotation" -> new SecretSyncSpec.SecretObject(null, List.of(new SecretSyncSpec.SecretObjectData("p", "k")),
          null, Map.of("secrets-store.sync.x-k8s.io.y", "1"));
      case "tlsNoKey" -> new SecretSyncSpec.SecretObject("kubernetes.io/tls",
          List.of(new SecretSyncSpec.SecretObjectData("pem", "tls.crt")), null, null);
      default -> new SecretSyncSpec.SecretObject("kubernetes.io/tls",
          List.of(new SecretSyncSpec.SecretObjectData("p", "tls.crt")), null, null);
    };
    String pem = TlsFixtures.PEM;
    SyncFailure.Failed e = assertThrows(SyncFailure.Failed.class,
        () -> SecretContent.build(o, Map.of("p", b("s3cr3t-value"), "pem", b(pem))));
    assertEquals(reason, e.failure().reason());
    assertTrue(e.failure().message().contains(named), e.failure().message());
    assertFalse(e.failure().message().contains("s3cr3t"));
  }

  @Test
  void tlsIsSplitFromPemAndFromPfx() throws Exception {
    SecretSyncSpec.SecretObject o = new SecretSyncSpec.SecretObject("kubernetes.io/tls",
        List.of(new SecretSyncSpec.SecretObjectData("cert", "tls.crt"), new SecretSyncSpec.SecretObjectData("cert", "tls.key")),
        null, null);
    SecretContent.Desired pem = SecretContent.build(o, Map.of("cert", b(TlsFixtures.PEM)));
    assertTrue(new String(pem.data().get("tls.crt"), StandardCharsets.US_ASCII).startsWith("-----BEGIN CERTIFICATE-----"));
    assertTrue(new String(pem.data().get("tls.key"), StandardCharsets.US_ASCII).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    SecretContent.Desired pfx = SecretContent.build(o, Map.of("cert", TlsFixtures.pfx()));
    assertArrayEquals(pem.data().get("tls.crt"), pfx.data().get("tls.crt"), "the same certificate out of PFX");
    assertArrayEquals(pem.data().get("tls.key"), pfx.data().get("tls.key"), "the same key out of PFX");
  }

  @Test
  void hashChangesWithContentGenerationAndForceButNotOtherwise() {
    SecretContent.Desired d = SecretContent.build(spec(null, Map.of("p", "k")).secretObject(), Map.of("p", b("v1")));
    SecretContent.Desired d2 = SecretContent.build(spec(null, Map.of("p", "k")).secretObject(), Map.of("p", b("v2")));
    String h = SyncHash.of(d, "c", 1L, "u", 1L, null);
    assertEquals(h, SyncHash.of(d, "c", 1L, "u", 1L, null));
    assertEquals(h, SyncHash.of(d, "c", 1L, "u", 1L, ""));
    assertNotEquals(h, SyncHash.of(d2, "c", 1L, "u", 1L, null));
    assertNotEquals(h, SyncHash.of(d, "c", 2L, "u", 1L, null));
    assertNotEquals(h, SyncHash.of(d, "c", 1L, "u", 2L, null));
    assertNotEquals(h, SyncHash.of(d, "c", 1L, "u", 1L, "now"));
    assertNotEquals(h, SyncHash.of(d, "c", 1L, "other-uid", 1L, null), "salted by the SecretSync's uid");
    String plainSha256 = java.util.HexFormat.of().formatHex(sha256("v1"));
    assertFalse(h.contains(plainSha256));
  }

  static byte[] sha256(String s) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(b(s));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void appliedSecretHasOneOwnerWithoutControllerFlagsAndTheLabel() {
    SecretSync s = sync("ns", "db", "uid-1", spec(null, Map.of("p", "k")), null);
    Secret applied = OwnedSecret.applied(s, SecretContent.build(s.getSpec().secretObject(), Map.of("p", b("v"))));
    assertEquals(1, applied.getMetadata().getOwnerReferences().size());
    var owner = applied.getMetadata().getOwnerReferences().get(0);
    assertEquals("secret-sync.x-k8s.io/v1alpha1", owner.getApiVersion());
    assertEquals("SecretSync", owner.getKind());
    assertEquals("db", owner.getName());
    assertEquals("uid-1", owner.getUid());
    assertNull(owner.getController());
    assertNull(owner.getBlockOwnerDeletion());
    assertEquals("", applied.getMetadata().getLabels().get("secrets-store.sync.x-k8s.io"));
    assertEquals("dg==", applied.getData().get("k"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "absent|true",
      "oursLabelledAndOwned|true",
      "labelOnly|false",
      "ownerOnly|false",
      "plain|false",
      "otherSyncOwner|false"})
  void aPreExistingSecretIsNeverTakenOver(String kase, boolean allowed) {
    SecretSync s = sync("ns", "db", "uid-1", spec(null, Map.of("p", "k")), null);
    Secret ours = OwnedSecret.applied(s, SecretContent.build(s.getSpec().secretObject(), Map.of("p", b("v"))));
    Secret existing = switch (kase) {
      case "absent" -> null;
      case "oursLabelledAndOwned" -> ours;
      case "labelOnly" -> new SecretBuilder(ours).editMetadata().withOwnerReferences(List.of()).endMetadata().build();
      case "ownerOnly" -> new SecretBuilder(ours).editMetadata().withLabels(Map.of()).endMetadata().build();
      case "otherSyncOwner" -> new SecretBuilder(ours).editMetadata().editFirstOwnerReference().withUid("uid-old")
          .endOwnerReference().endMetadata().build();
      default -> new SecretBuilder().withNewMetadata().withNamespace("ns").withName("db").endMetadata().build();
    };
    assertEquals(allowed, OwnedSecret.takeoverRefused(existing, s).isEmpty());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "same|false",
      "extraKeyAdded|false",
      "extraLabelAdded|false",
      "deleted|true",
      "valueEdited|true",
      "keyRemoved|true",
      "labelRemoved|true",
      "ownerRemoved|true",
      "typeChanged|true"})
  void driftIsWhatWeWroteChangedOrGone(String kase, boolean drifted) {
    SecretSync s = sync("ns", "db", "uid-1", spec(null, Map.of("p", "k")), null);
    Secret ours = OwnedSecret.applied(s, SecretContent.build(s.getSpec().secretObject(), Map.of("p", b("v"))));
    SecretBuilder o = new SecretBuilder(ours);
    Secret observed = switch (kase) {
      case "same" -> ours;
      case "extraKeyAdded" -> o.addToData("mine", "eA==").build();
      case "extraLabelAdded" -> o.editMetadata().addToLabels("x", "y").endMetadata().build();
      case "deleted" -> null;
      case "valueEdited" -> o.addToData("k", "eA==").build();
      case "keyRemoved" -> o.withData(Map.of()).build();
      case "labelRemoved" -> o.editMetadata().withLabels(Map.of("app", "web")).endMetadata().build();
      case "ownerRemoved" -> o.editMetadata().withOwnerReferences(List.of()).endMetadata().build();
      default -> o.withType("kubernetes.io/basic-auth").build();
    };
    assertEquals(drifted, OwnedSecret.drifted(observed, ours));
  }

  @Test
  void conditionsFollowSscsTypesAndReasonsAndCarryTheError() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    SecretSyncStatus failed = SyncStatus.next(null, 1L,
        new SyncStatus.Failed(new SyncFailure("ProviderError", "Unavailable", "provider down")), t0);
    var created = SyncStatus.find(failed.conditions(), "SecretCreated").orElseThrow();
    assertEquals("False", created.getStatus());
    assertEquals("ProviderError", created.getReason());
    assertEquals("code Unavailable: provider down (attempt at 2026-01-01T00:00:00Z)", created.getMessage());
    assertNull(failed.syncHash());
    assertTrue(SyncStatus.lastFailed(failed));

    SecretSyncStatus ok = SyncStatus.next(failed, 1L, new SyncStatus.Synced("h1", true), t0.plusSeconds(5));
    assertEquals("True", SyncStatus.find(ok.conditions(), "SecretCreated").orElseThrow().getStatus());
    assertEquals("CreateSuccessful", SyncStatus.find(ok.conditions(), "SecretCreated").orElseThrow().getReason());
    assertEquals("NoUpdatesAttemptedYet", SyncStatus.find(ok.conditions(), "SecretUpdated").orElseThrow().getReason());
    assertEquals("h1", ok.syncHash());
    assertEquals("2026-01-01T00:00:05Z", ok.lastSuccessfulSyncTime());
    assertFalse(SyncStatus.lastFailed(ok));

    SecretSyncStatus up = SyncStatus.next(ok, 2L, new SyncStatus.Synced("h2", false), t0.plusSeconds(9));
    var updated = SyncStatus.find(up.conditions(), "SecretUpdated").orElseThrow();
    assertEquals("SecretUpToDate", updated.getReason());
    assertEquals(2L, updated.getObservedGeneration());
    SecretSyncStatus again = SyncStatus.next(up, 2L, new SyncStatus.Synced("h2", false), t0.plusSeconds(20));
    assertEquals(updated.getLastTransitionTime(),
        SyncStatus.find(again.conditions(), "SecretUpdated").orElseThrow().getLastTransitionTime(),
        "no transition without a change");

    SecretSyncStatus patchFailed = SyncStatus.next(again, 2L,
        new SyncStatus.Failed(new SyncFailure("ControllerPatchError", "403", "denied by admission")), t0.plusSeconds(30));
    assertEquals("ControllerPatchError", SyncStatus.find(patchFailed.conditions(), "SecretUpdated").orElseThrow().getReason());
    assertEquals("True", SyncStatus.find(patchFailed.conditions(), "SecretCreated").orElseThrow().getStatus());
    assertEquals("h2", patchFailed.syncHash(), "a failure keeps the last good hash");
  }

  @Test
  void failureMessagesAreCut() {
    SyncFailure f = new SyncFailure("ProviderError", "x", "y".repeat(5000));
    assertTrue(f.message().length() < 600);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "1|0.5|2000",
      "1|0.0|1600",
      "1|0.99|2392",
      "2|0.5|4000",
      "20|0.5|300000"})
  void backoffIsSpreadByJitter(int failures, double random, long millis) {
    SyncTiming t = new SyncTiming(new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(5), 2), () -> random);
    assertEquals(millis, t.afterFailure(failures).toMillis());
  }

  @Test
  void resyncsAreSpreadAndOffAtZero() {
    assertEquals(Optional.empty(), new SyncTiming(SyncTiming.defaultBackoff(), () -> 0.5).afterSuccess(Duration.ZERO));
    assertEquals(Duration.ofHours(12), new SyncTiming(SyncTiming.defaultBackoff(), () -> 0.5)
        .afterSuccess(Duration.ofHours(12)).orElseThrow());
    assertEquals(Duration.ofMinutes(576), new SyncTiming(SyncTiming.defaultBackoff(), () -> 0.0)
        .afterSuccess(Duration.ofHours(12)).orElseThrow());
  }
}
