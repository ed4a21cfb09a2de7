package io.sscsi.volume;

import static io.sscsi.volume.VolumeFixture.content;
import static io.sscsi.volume.VolumeFixture.request;
import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import ch.qos.logback.classic.Level;
import io.sscsi.spc.ProviderClass;
import io.sscsi.testkit.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mounted volume's refreshes on the test's time (ManualTime plus a test clock; no sleeps): the
 * rotation gate on kubelet's republish, the jittered timer, token expiry, a class edit, a change of
 * the nodePublishSecretRef Secret, a failed refresh, the status object retry's backoff, and the
 * timers of a volume whose unpublish failed.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class VolumeRefreshTest {
  static final Duration INTERVAL = Duration.ofMinutes(2);

  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();
  @TempDir Path dir;

  VolumeFixture world;
  TestProbe<StatusReply<Done>> replies;
  TestProbe<VolumeRouter.Command> router;
  Path target;

  @BeforeEach
  void setUp() {
    world = new VolumeFixture(testKit);
    replies = testKit.createTestProbe();
    router = testKit.createTestProbe();
    target = dir.resolve("pods/uid-1/volumes/kubernetes.io~csi/v/mount");
  }

  /** A volume actor, published once with content "v1" at the test's start time. */
  ActorRef<VolumeActor.Command> published(VolumeSettings settings, Map<String, String> secrets) throws Exception {
    ActorRef<VolumeActor.Command> volume = testKit.spawn(VolumeActor.create(target, world.deps(settings), router.getRef()));
    volume.tell(new VolumeRouter.Publish(request(target, secrets), world.deadline(), replies.getRef()));
    world.providers.next().answer(content("v1"));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals("v1", Files.readString(target.resolve("key")));
    return volume;
  }

  VolumeView describe(ActorRef<VolumeActor.Command> volume) {
    TestProbe<VolumeView> view = testKit.createTestProbe();
    volume.tell(new VolumeActor.Describe(view.getRef()));
    return view.receiveMessage();
  }

  @Test
  void withRotationOffARepublishNeverCallsTheProvider() throws Exception {
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOff(), Map.of());
    world.advance(Duration.ofHours(1));
    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess(), "answered without a provider call");
    assertTrue(world.providers.calls.isEmpty());
    assertEquals("mounted", describe(volume).state());
  }

  @Test
  void aRepublishRefreshesAtMostOncePerInterval() throws Exception {
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(INTERVAL, false), Map.of());

    world.advance(INTERVAL.minusSeconds(1));
    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess(), "within the interval: answered at once");
    assertTrue(world.providers.calls.isEmpty(), "no provider call");

    world.advance(Duration.ofSeconds(1));
    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    VolumeFixture.ScriptedProviders.Call refresh = world.providers.next();
    assertEquals(Map.of("secret/key", "v1"), refresh.request().currentVersions(), "the refresh sends the mounted versions");
    refresh.answer(content("v2"));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals("v2", Files.readString(target.resolve("key")));
    assertEquals(Map.of("secret/key", "v2"), describe(volume).objects());
    assertEquals(List.of("v1", "v2"), world.statuses.upserts.stream().map(s -> s.objectVersions().get("secret/key")).toList(),
        "the status object follows the versions");
  }

  @Test
  void theTimerRefreshesAfterTheIntervalAndAnIdleRefreshRewritesNothing() throws Exception {
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(INTERVAL, true), Map.of());
    assertEquals(VolumeFixture.T0.plus(INTERVAL), describe(volume).nextRefresh(), "jitter 0.5: exactly the interval");
    String dataDir = Files.readSymbolicLink(target.resolve("..data")).toString();

    world.advance(INTERVAL.minusMillis(1));
    assertEquals("mounted", describe(volume).state(), "not yet");
    world.advance(Duration.ofMillis(1));
    world.providers.next().answer(content("v1"));
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals(VolumeFixture.T0.plus(INTERVAL.multipliedBy(2)), describe(volume).nextRefresh(), "re-armed");
      return null;
    });
    assertEquals(dataDir, Files.readSymbolicLink(target.resolve("..data")).toString(), "unchanged content: no rewrite");
    assertEquals(1, world.statuses.upserts.size(), "unchanged versions: no status write");
    assertEquals(1, world.sync.calls.size(), "unchanged content: SecretSync not told again");
  }

  @Test
  void expiredTokensSkipTheTimersRefresh() throws Exception {
    String tokens = "{\"vault\":{\"token\":\"opaque\",\"expirationTimestamp\":\""
        + VolumeFixture.T0.plus(INTERVAL.dividedBy(2)) + "\"}}";
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(INTERVAL, true),
        Map.of(ServiceAccountTokens.KEY, tokens));

    world.advance(INTERVAL);
    VolumeView after = describe(volume);
    assertEquals("mounted", after.state(), "the timer fired and started no refresh");
    assertEquals(VolumeFixture.T0.plus(INTERVAL.multipliedBy(2)), after.nextRefresh(), "and was re-armed");
    assertTrue(world.providers.calls.isEmpty());
  }

  /**
   * A republish the gate skips answers at once and keeps only kubelet's fresh request: the timer's
   * refresh then reuses those tokens (the first ones had expired by then) and sends them.
   */
  @Test
  void aSkippedRepublishKeepsKubeletsFreshTokensForTheTimer() throws Exception {
    String expiring = "{\"vault\":{\"token\":\"first\",\"expirationTimestamp\":\""
        + VolumeFixture.T0.plus(INTERVAL.dividedBy(2)) + "\"}}";
    String fresh = "{\"vault\":{\"token\":\"second\",\"expirationTimestamp\":\""
        + VolumeFixture.T0.plus(INTERVAL.multipliedBy(10)) + "\"}}";
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(INTERVAL, true),
        Map.of(ServiceAccountTokens.KEY, expiring));

    world.advance(Duration.ofSeconds(1));
    volume.tell(new VolumeRouter.Publish(request(target, Map.of(ServiceAccountTokens.KEY, fresh)), world.deadline(),
        replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess(), "within the interval: answered at once");
    assertTrue(world.providers.calls.isEmpty(), "no provider call");

    world.advance(INTERVAL.minusSeconds(1));
    VolumeFixture.ScriptedProviders.Call refresh = world.providers.next();
    assertTrue(refresh.request().secretsJson().contains("second"), "the timer's refresh sends the fresh tokens");
    refresh.answer(content("v2"));
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals(Map.of("secret/key", "v2"), describe(volume).objects());
      return null;
    });
  }

  @Test
  void unreadableTokensAreReportedOnceAtWarnAndNeverAsExpired() throws Exception {
    String tokens = "{\"vault\":{\"token\":\"sentinel-token-value\",\"expirationTimestamp\":\"someday\"}}";
    try (LogCapture logs = LogCapture.open()) {
      ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(INTERVAL, true),
          Map.of(ServiceAccountTokens.KEY, tokens));
      for (int tick = 1; tick <= 3; tick++) {
        world.advance(INTERVAL);
        assertEquals(VolumeFixture.T0.plus(INTERVAL.multipliedBy(tick + 1)), describe(volume).nextRefresh(),
            "tick " + tick + " fired, started no refresh and re-armed");
      }
      assertTrue(world.providers.calls.isEmpty(), "tokens it cannot judge are not sent on the driver's initiative");
      List<String> warnings = logs.lines(Level.WARN).stream().filter(l -> l.contains("cannot be read")).toList();
      assertEquals(1, warnings.size(), "once per volume, at WARN: " + logs.all());
      assertTrue(warnings.get(0).contains(target.toString()));
      assertFalse(logs.all().contains("have expired"), "not reported as expired");
      assertFalse(logs.all().contains("sentinel-token-value"), "never the token text");

      volume.tell(new VolumeRouter.Publish(request(target, Map.of(ServiceAccountTokens.KEY, tokens)), world.deadline(),
          replies.getRef()));
      world.providers.next().answer(content("v2"));
      assertTrue(replies.receiveMessage().isSuccess(), "kubelet's republish passes the value on as given, as upstream");
    }
  }

  @Test
  void aClassEditRefreshesAtOnceWithTheEditedClass() throws Exception {
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(Duration.ofHours(1), false), Map.of());
    world.classes.put("ns/spc", new ProviderClass("ns", "spc", "vault", Map.of("role", "r2"), List.of()));

    volume.tell(new VolumeActor.ClassChanged("ns", "other"));
    volume.tell(new VolumeActor.ClassChanged("ns", "spc"));
    VolumeFixture.ScriptedProviders.Call refresh = world.providers.next();
    assertTrue(refresh.request().attributesJson().contains("\"role\":\"r2\""), "the refresh used the edited class");
    refresh.answer(content("v2"));
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals("v2", Files.readString(target.resolve("key")));
      return null;
    });
    assertTrue(world.providers.calls.isEmpty(), "another class's edit changes nothing");
  }

  @Test
  void aChangedNodePublishSecretRefreshesWithItsNewData() throws Exception {
    world.publishSecrets.refs.put("ns/pod", "creds");
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(Duration.ofHours(1), false),
        Map.of("user", "alice"));
    world.publishSecrets.data.put("ns/creds", Map.of("user", "bob"));

    volume.tell(new VolumeActor.PublishSecretChanged("ns", "unrelated"));
    volume.tell(new VolumeActor.PublishSecretChanged("ns", "creds"));
    VolumeFixture.ScriptedProviders.Call refresh = world.providers.next();
    assertEquals("{\"user\":\"bob\"}", refresh.request().secretsJson());
    refresh.answer(content("v2"));
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals("v2", Files.readString(target.resolve("key")));
      return null;
    });
    assertTrue(world.providers.calls.isEmpty(), "an unrelated Secret changes nothing");
  }

  @Test
  void aFailedRefreshKeepsTheContentAnswersOkAndSaysSo() throws Exception {
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(INTERVAL, false), Map.of());
    world.advance(INTERVAL);

    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().fail(new DriverException(FailureKind.PROVIDER_RPC_FAILED, "vault sealed"));
    assertTrue(replies.receiveMessage().isSuccess(), "kubernetes#121271: never fail a republish");
    assertEquals("v1", Files.readString(target.resolve("key")));
    VolumeView view = describe(volume);
    assertEquals("failed", view.lastResult());
    assertEquals("vault sealed", view.lastError());
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals(List.of("pod: MountRotationFailed: refreshing secrets from provider vault failed, the mounted"
          + " content is kept: vault sealed"), world.events);
      return null;
    });
  }

  @Test
  void aHugeProviderErrorCodeIsCutInTheEventTheLogAndVolumes() throws Exception {
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(INTERVAL, false), Map.of());
    world.advance(INTERVAL);
    try (LogCapture logs = LogCapture.open()) {
      volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
      world.providers.next().fail(DriverException.providerReported("vault", "E".repeat(100_000)));
      assertTrue(replies.receiveMessage().isSuccess());
      String cut = "...[" + (100_000 - 1024) + " more characters cut]";
      assertTrue(describe(volume).lastError().endsWith(cut), "/volumes");
      testKit.createTestProbe().awaitAssert(() -> {
        assertEquals(1, world.events.size());
        assertTrue(world.events.get(0).endsWith(cut) && world.events.get(0).length() < 1300, "the event is bounded");
        return null;
      });
      List<String> warnings = logs.lines(Level.WARN);
      assertEquals(1, warnings.size(), logs.all());
      assertTrue(warnings.get(0).contains(cut) && warnings.get(0).length() < 2000, "the log line is bounded");
    }
  }

  @Test
  void aStatusObjectTheApiServerRefusesIsRetriedWithBackoff() throws Exception {
    world.statuses.failuresLeft.set(3);
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOff(), Map.of());
    assertEquals("failed", world.statuses.attempts.poll(10, TimeUnit.SECONDS), "the publish's own write");
    assertEquals("mounted", describe(volume).state(), "the files are correct: the publish succeeded");

    world.advance(Duration.ofMillis(999));
    assertEquals("mounted", describe(volume).state());
    assertNull(world.statuses.attempts.poll(), "no retry before 1 s");
    world.advance(Duration.ofMillis(1));
    assertEquals("failed", world.statuses.attempts.poll(10, TimeUnit.SECONDS), "retry 1, after 1 s");
    // the next delays are 2 s and 4 s, armed once the last attempt's answer is back
    awaitAttempt(Duration.ofSeconds(2), "failed");
    awaitAttempt(Duration.ofSeconds(4), "written");
    assertEquals(1, world.statuses.upserts.size());
  }

  /**
   * A failed unpublish returns the volume to Mounted with its timers: the status retry still runs
   * and the rotation timer refreshes it (issue 12: it used to stay mounted and never refresh again).
   */
  @Test
  void aVolumeWhoseUnpublishFailedKeepsItsTimers() throws Exception {
    world.statuses.failuresLeft.set(1);
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(INTERVAL, true), Map.of());
    assertEquals("failed", world.statuses.attempts.poll(10, TimeUnit.SECONDS), "a status retry is pending");

    world.mounter.unmountFails.set(true);
    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isError(), "kubelet hears that the unpublish failed");
    VolumeView view = describe(volume);
    assertEquals("mounted", view.state());
    assertEquals(VolumeFixture.T0.plus(INTERVAL), view.nextRefresh(), "the rotation timer is armed again");

    world.advance(Duration.ofSeconds(1));
    assertEquals("written", world.statuses.attempts.poll(10, TimeUnit.SECONDS), "the status retry still ran");
    world.advance(INTERVAL.minusSeconds(1));
    world.providers.next().answer(content("v2"));
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals("v2", Files.readString(target.resolve("key")), "the timer refreshed the volume");
      assertEquals(VolumeFixture.T0.plus(INTERVAL.multipliedBy(2)), describe(volume).nextRefresh(), "and re-armed");
      return null;
    });
  }

  /**
   * An unpublish arriving while a status retry's write is with the API server waits for that write,
   * so the delete comes last and no status object outlives its volume (a retry used to write in the
   * background and could recreate the object the unpublish had just deleted).
   */
  @Test
  void anUnpublishWaitsForAStatusRetryInFlight() throws Exception {
    world.statuses.failuresLeft.set(1);
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOff(), Map.of());
    assertEquals("failed", world.statuses.attempts.poll(10, TimeUnit.SECONDS), "a status retry is pending");

    CountDownLatch apiServer = new CountDownLatch(1);
    world.statuses.hold = apiServer;
    world.advance(Duration.ofSeconds(1));
    assertNotNull(world.statuses.held.poll(10, TimeUnit.SECONDS), "the retry's write is with the API server");
    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertEquals("mounted", describe(volume).state(), "the unpublish waits behind the write, not beside it");
    assertTrue(world.statuses.deletes.isEmpty());

    world.statuses.hold = null;
    apiServer.countDown();
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals(List.of("upsert pod-ns-spc", "delete pod-ns-spc"), world.statuses.order,
        "the delete comes after the write");
    assertEquals("idle", describe(volume).state());
  }

  /**
   * An unpublish that deleted the files and then could not unmount leaves an empty volume: kubelet's
   * next republish fetches and writes again (rotation off, within no interval), and a failed fetch is
   * kubelet's error, never OK on the empty volume (issue 12 item 4: no path ends with an empty volume
   * reported as good).
   */
  @Test
  void aVolumeEmptiedByAFailedUnpublishIsFetchedAgainOnRepublish() throws Exception {
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOff(), Map.of());
    world.mounter.unmountFails.set(true);
    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isError(), "kubelet hears that the unpublish failed");
    assertFalse(Files.exists(target.resolve("key")), "the files were deleted before the unmount failed");
    VolumeView view = describe(volume);
    assertEquals("mounted", view.state());
    assertTrue(view.lastError().contains("already deleted"), view.lastError());

    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().fail(new DriverException(FailureKind.PROVIDER_UNAVAILABLE, "provider down"));
    assertTrue(replies.receiveMessage().isError(), "a failed fetch into the empty volume is an error to kubelet");
    assertFalse(Files.exists(target.resolve("key")));

    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().answer(content("v2"));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals("v2", Files.readString(target.resolve("key")), "fetched and written again");
    VolumeView restored = describe(volume);
    assertEquals("ok", restored.lastResult());

    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    assertTrue(world.providers.calls.isEmpty(), "a full volume again: rotation off answers without a fetch");
  }

  /**
   * A status retry for versions a refresh has since replaced is dropped: the refresh wrote the newer
   * object, and the old retry must not write the old versions over it.
   */
  @Test
  void aStatusRetryForOlderVersionsNeverOverwritesANewerStatus() throws Exception {
    world.statuses.failuresLeft.set(1);
    ActorRef<VolumeActor.Command> volume = published(VolumeFixture.rotationOn(Duration.ofHours(1), false), Map.of());
    assertEquals("failed", world.statuses.attempts.poll(10, TimeUnit.SECONDS), "v1's status is to be retried in 1 s");

    volume.tell(new VolumeActor.ClassChanged("ns", "spc"));
    world.providers.next().answer(content("v2"));
    assertEquals("written", world.statuses.attempts.poll(10, TimeUnit.SECONDS), "the refresh wrote v2's status");

    world.advance(Duration.ofSeconds(1)); // v1's retry comes due
    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals(List.of("v2"), world.statuses.upserts.stream().map(st -> st.objectVersions().get("secret/key")).toList(),
        "v1's retry was dropped");
  }

  /** Moves time by {@code delay} (again, until the retry timer was armed) and expects one attempt. */
  private void awaitAttempt(Duration delay, String outcome) {
    testKit.createTestProbe().awaitAssert(() -> {
      world.advance(delay);
      assertEquals(outcome, world.statuses.attempts.poll(100, TimeUnit.MILLISECONDS));
      return null;
    });
  }
}
