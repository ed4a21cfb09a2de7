package io.sscsi.synccontroller;

import java.util.Optional;

import io.sscsi.k8s.model.SecretProviderClass;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.Secret;
import io.grpc.Status;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncSpec;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.TestProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one SecretSync's actor does beyond a plain sync, on the test's time (ManualTime, no sleeps):
 * {@code sscsi.io/retain-on-delete}, {@code sscsi.io/refresh-interval}, {@code forceSynchronization},
 * backoff per object while a provider is down, and the sync slots (per provider) with many objects.
 */
class SyncObjectBehaviourTest {
  @TempDir Path dir;
  SyncHarness h;

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  @Test
  void retainOnDeleteRemovesTheOwnerReferenceThenReleasesTheFinalizer() throws Exception {
    h = new SyncHarness(dir, "vault");
    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "kept")));
    h.spc("team", "db-spc", "vault", Map.of("objects", "one"));
    h.secretSync("team", "keep", "db-spc", Map.of(SyncAnnotations.RETAIN_ON_DELETE, "true"));
    h.secretSync("team", "plain", "db-spc", Map.of());
    Await.until("both Secrets written, the finalizer held", () -> "kept".equals(h.value("team", "keep"))
        && "kept".equals(h.value("team", "plain")) && SyncAnnotations.hasRetainFinalizer(h.get("team", "keep")));
    assertFalse(SyncAnnotations.hasRetainFinalizer(h.get("team", "plain")), "no finalizer without the annotation");
    assertEquals(1, secret("keep").getMetadata().getOwnerReferences().size());

    h.client.resources(SecretSync.class).inNamespace("team").withName("keep").delete();
    Await.until("the SecretSync is gone once its finalizer is released", () -> h.get("team", "keep") == null);
    Secret kept = secret("keep");
    assertNotNull(kept, "the Secret is kept");
    assertTrue(kept.getMetadata().getOwnerReferences() == null || kept.getMetadata().getOwnerReferences().isEmpty(),
        "its ownerReference was removed, so the garbage collector leaves it: " + kept.getMetadata());
    assertEquals("kept", h.value("team", "keep"));
    int patchesBefore = h.crud.requests.size();
    assertTrue(h.crud.requests.subList(0, patchesBefore).stream().noneMatch(r -> r.path().contains("/secrets/plain")
        && r.method().equals("DELETE")), "the controller deletes no Secret itself");

    h.client.resources(SecretSync.class).inNamespace("team").withName("plain").delete();
    Await.until("the plain SecretSync is gone", () -> h.get("team", "plain") == null);
    assertEquals(1, secret("plain").getMetadata().getOwnerReferences().size(),
        "without the annotation the ownerReference stays (the API server's garbage collector deletes it)");
  }

  Secret secret(String name) {
    return h.client.secrets().inNamespace("team").withName(name).get();
  }

  @Test
  void refreshIntervalAnnotationResyncsThatObjectOnItsOwnTimer() throws Exception {
    h = new SyncHarness(dir, "vault");
    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "v1")));
    h.spc("team", "db-spc", "vault", Map.of("objects", "one"));
    h.secretSync("team", "fast", "db-spc", Map.of(SyncAnnotations.REFRESH_INTERVAL, "10m"));
    h.secretSync("team", "default", "db-spc", Map.of());
    SyncView fast = h.awaitIdle("team", "fast", 1);
    SyncView plain = h.awaitIdle("team", "default", 1);
    assertEquals(h.clock.instant().plus(Duration.ofMinutes(10)), fast.nextSync(), "jitter 0.5: exactly 10m");
    assertNull(plain.nextSync(), "--rotation-poll-interval=0: no timer without the annotation");

    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "v2")));
    h.advance(Duration.ofMinutes(9));
    assertEquals(1, h.view("team", "fast").orElseThrow().syncs(), "not before its interval");
    h.advance(Duration.ofMinutes(1));
    Await.until("the annotated object re-synced", () -> "v2".equals(h.value("team", "fast")));
    assertEquals(2, h.awaitIdle("team", "fast", 2).syncs());
    assertEquals("v1", h.value("team", "default"), "the other one did not");
    assertEquals(1, h.view("team", "default").orElseThrow().syncs());
  }

  /**
   * A class event that brings what the last sync read (the watch's first event for a class can come after
   * a sync read the class by GET) syncs nothing; one with other content, or a deletion, syncs again.
   */
  @Test
  void aClassEventWithTheContentTheLastSyncReadSyncsNothing() throws Exception {
    h = new SyncHarness(dir, "vault");
    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "v1")));
    h.spc("team", "db-spc", "vault", Map.of("objects", "one"));
    h.secretSync("team", "db", "db-spc", Map.of());
    assertEquals(1, h.awaitIdle("team", "db", 1).syncs(), "a class created just before its SecretSync: one sync");
    SecretProviderClass read = h.client.resources(SecretProviderClass.class).inNamespace("team").withName("db-spc").get();
    ClassRef same = ClassRef.of(read);
    h.group.tell(new SecretSyncGroup.ClassChanged("team", "db-spc", Optional.of(same)));
    SyncView quiet = h.view("team", "db").orElseThrow(); // asked through the group, after the event it forwarded
    assertEquals("idle", quiet.state(), "the same content wants no sync");
    assertEquals(1, quiet.syncs());
    int calls = h.provider("vault").requests.size();
    h.group.tell(new SecretSyncGroup.ClassChanged("team", "db-spc",
        Optional.of(new ClassRef("team", "db-spc", "vault", Map.of("objects", "two"), same.uid(), same.generation()))));
    SyncView after = h.awaitIdle("team", "db", 2);
    assertEquals(2, after.syncs(), "other content synced once");
    assertEquals(calls + 1, h.provider("vault").requests.size());
    h.group.tell(new SecretSyncGroup.ClassChanged("team", "db-spc", Optional.empty()));
    assertEquals(3, h.awaitIdle("team", "db", 3).syncs(), "a deletion (or an unknown class) syncs again");
  }

  @Test
  void forceSynchronizationForcesASyncEvenWhenTheContentIsTheSame() throws Exception {
    h = new SyncHarness(dir, "vault");
    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "same")));
    h.spc("team", "db-spc", "vault", Map.of("objects", "one"));
    h.secretSync("team", "db", "db-spc", Map.of());
    h.awaitIdle("team", "db", 1);
    String hash = h.get("team", "db").getStatus().syncHash();
    int calls = h.provider("vault").requests.size();

    h.client.resources(SecretSync.class).inNamespace("team").withName("db").edit(s -> {
      SecretSyncSpec sp = s.getSpec();
      s.setSpec(new SecretSyncSpec(sp.secretProviderClassName(), sp.serviceAccountName(), sp.secretObject(),
          "2026-12-07T19:00:00Z", sp.secretSyncControllerName()));
      return s;
    });
    Await.until("the forced sync wrote a new hash", () -> !hash.equals(h.get("team", "db").getStatus().syncHash()));
    assertEquals(calls + 1, h.provider("vault").requests.size(), "the provider was called again");
    assertEquals("same", h.value("team", "db"));
  }

  @Test
  void aProviderDownBacksOffItsObjectsWhileTheOthersGoOn() throws Exception {
    h = new SyncHarness(dir, "vault", "aws");
    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "up")));
    h.provider("aws").answer(r -> CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("aws is down")
        .asRuntimeException()));
    h.spc("team", "good-spc", "vault", Map.of("objects", "one"));
    h.spc("team", "bad-spc", "aws", Map.of("objects", "one"));
    h.secretSync("team", "bad", "bad-spc", Map.of());
    h.secretSync("team", "good", "good-spc", Map.of());
    SyncView bad = Await.value("bad failed once", () -> h.view("team", "bad").orElse(null),
        v -> v != null && v.state().equals("idle") && v.failures() == 1);
    assertEquals(h.clock.instant().plus(Duration.ofSeconds(2)), bad.nextSync(), "first backoff: 2 s");
    assertEquals("up", Await.value("good synced", () -> h.value("team", "good"), "up"::equals));
    int perAttempt = h.provider("aws").requests.size(); // the pool's own retries of UNAVAILABLE included

    h.advance(Duration.ofSeconds(2));
    bad = Await.value("bad failed twice", () -> h.view("team", "bad").orElse(null),
        v -> v.state().equals("idle") && v.failures() == 2);
    assertEquals(h.clock.instant().plus(Duration.ofSeconds(4)), bad.nextSync(), "second backoff: 4 s");
    assertEquals(2 * perAttempt, h.provider("aws").requests.size(), "calls only at the attempts, none between");

    // While bad waits out its backoff, good goes on: a class edit re-syncs it at once.
    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "up-2")));
    h.spc("team", "good-spc", "vault", Map.of("objects", "two"));
    Await.until("good re-synced", () -> "up-2".equals(h.value("team", "good")));
    assertEquals(2, h.view("team", "bad").orElseThrow().failures());
    assertEquals(2 * perAttempt, h.provider("aws").requests.size());
    assertNull(h.view("team", "good").orElseThrow().lastError());

    h.provider("aws").answerNow(TestProvider.files(Map.of("password", "back")));
    h.advance(Duration.ofSeconds(4));
    Await.until("bad synced once aws is back", () -> "back".equals(h.value("team", "bad")));
    assertEquals(0, h.awaitIdle("team", "bad", 3).failures());
  }

  @Test
  void aHungProviderTakesNoSyncSlotFromAnotherProvider() throws Exception {
    h = new SyncHarness(dir, 4, 4, Duration.ZERO, List.of(), (a, b, c, d) -> {
      throw new AssertionError("no token");
    }, "vault", "slow");
    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "up")));
    CompletableFuture<io.sscsi.provider.v1alpha1.MountResponse> never = new CompletableFuture<>();
    h.provider("slow").answer(r -> never);
    h.spc("team", "slow-spc", "slow", Map.of("objects", "one"));
    h.spc("team", "good-spc", "vault", Map.of("objects", "one"));
    for (int i = 0; i < 6; i++) {
      h.secretSync("team", "slow-" + i, "slow-spc", Map.of());
    }
    Await.until("the slow provider holds its 4 calls", () -> h.provider("slow").inFlight.get() == 4);
    h.secretSync("team", "good", "good-spc", Map.of());
    Await.until("the other provider's object syncs meanwhile", () -> "up".equals(h.value("team", "good")));
    assertEquals(4, h.provider("slow").inFlight.get(), "the slow calls are all still hung");
    never.complete(TestProvider.files(Map.of("password", "late")));
  }

  @Test
  void manySecretSyncsMeetTheProviderAtMostSixteenAtOnce() throws Exception {
    h = new SyncHarness(dir, 16, 16, Duration.ZERO, List.of(), (a, b, c, d) -> {
      throw new AssertionError("no token");
    }, "vault");
    var later = CompletableFuture.delayedExecutor(5, TimeUnit.MILLISECONDS);
    h.provider("vault").answer(r -> CompletableFuture.supplyAsync(
        () -> TestProvider.files(Map.of("password", "bulk")), later));
    h.spc("team", "db-spc", "vault", Map.of("objects", "one"));
    int n = 250; // 1,000 take minutes on a loaded 2-core machine; the bound is the same
    for (int i = 0; i < n; i++) {
      h.secretSync("team", "s-" + i, "db-spc", Map.of());
    }
    Await.until("all " + n + " Secrets applied", Duration.ofMinutes(5),
        () -> h.crud.applies.stream().filter(a -> a.path().contains("/secrets/")).count() >= n);
    Await.until("all " + n + " actors idle after one sync", Duration.ofMinutes(2),
        () -> h.views().values().stream().filter(v -> v.syncs() == 1 && v.state().equals("idle")).count() == n);
    assertEquals(n, h.provider("vault").requests.size(), "one provider call per object");
    assertTrue(h.provider("vault").maxInFlight.get() <= 16, "at most 16 at once: " + h.provider("vault").maxInFlight);
    assertTrue(h.provider("vault").maxInFlight.get() > 1, "calls did overlap: " + h.provider("vault").maxInFlight);
    assertEquals(0, h.crud.applies.stream().filter(a -> a.path().contains("/secrets/")).count() - n,
        "one Secret write per object");
  }
}
