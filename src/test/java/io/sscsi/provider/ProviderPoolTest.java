package io.sscsi.provider;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.testkit.TestProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One provider's pool against a real gRPC provider on a unix socket (no root needed): a worker that
 * fails mid-call is answered for and replaced, and a call made while the provider is gone waits for
 * it to come back, as upstream's waitForReady dialling does.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class ProviderPoolTest {
  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();
  @TempDir Path dir;
  static final ProviderMountRequest REQUEST =
      new ProviderMountRequest("{}", "null", "/target", ProviderAttributes.DEFAULT_PERMISSION, Map.of());

  TestProvider provider;
  ProviderName name;

  @BeforeEach
  void startProvider() throws Exception {
    DriverMetrics.init(testKit.system().settings().config());
    name = new ProviderName("p" + Long.toHexString(System.nanoTime())); // metrics are per provider and process-wide
    provider = TestProvider.start(dir, name.value());
  }

  @AfterEach
  void stopProvider() {
    provider.close();
  }

  ProviderSettings settings(int maxInFlight) {
    return new ProviderSettings(List.of(dir), maxInFlight, 8, Duration.ofMinutes(2), 4 << 20, 5,
        Duration.ofSeconds(10), null, new io.sscsi.retry.Backoff(Duration.ofMillis(100), Duration.ofMillis(400), 2));
  }

  StatusReply<ProviderMountResult> call(ActorRef<ProviderPool.Command> pool, Duration within) {
    TestProbe<StatusReply<ProviderMountResult>> reply = testKit.createTestProbe();
    pool.tell(new ProviderPool.Call(REQUEST, Instant.now().plus(within), reply.getRef()));
    return reply.receiveMessage(within.plusSeconds(5));
  }

  @Test
  void aWorkerThatFailsMidCallIsAnsweredForAndReplaced() throws Exception {
    ProviderClient.ResponseCheck check = (p, response) -> {
      if (response.getObjectVersion(0).getVersion().equals("boom")) {
        throw new IllegalStateException("a bug in the driver");
      }
      return ProviderResponses.check(p, response, io.sscsi.fs.PayloadRules.Policy.UPSTREAM);
    };
    ActorRef<ProviderPool.Command> pool = testKit.spawn(ProviderPool.create(name, settings(2), Clock.systemUTC(), check));
    provider.answerNow(versioned("boom"));

    StatusReply<ProviderMountResult> failed = call(pool, Duration.ofSeconds(30));
    assertTrue(failed.isError());
    assertEquals(FailureKind.INTERNAL, DriverException.of(failed.getError()).kind(), failed.getError().getMessage());
    awaitScrape("sscsi_provider_calls_in_flight{provider=\"" + name + "\"} 0.0");

    CompletableFuture<MountResponse> release = new CompletableFuture<>();
    provider.answer(request -> release);
    TestProbe<StatusReply<ProviderMountResult>> replies = testKit.createTestProbe();
    pool.tell(new ProviderPool.Call(REQUEST, Instant.now().plusSeconds(30), replies.getRef()));
    pool.tell(new ProviderPool.Call(REQUEST, Instant.now().plusSeconds(30), replies.getRef()));
    replies.awaitAssert(() -> {
      assertEquals(2, provider.inFlight.get(), "two workers again: both calls run at once");
      return null;
    });
    release.complete(versioned("v1"));
    assertTrue(replies.receiveMessage().isSuccess());
    assertTrue(replies.receiveMessage().isSuccess());
  }

  @Test
  void aCallMadeWhileTheProviderIsGoneSucceedsWhenItComesBack() throws Exception {
    ActorRef<ProviderPool.Command> pool = testKit.spawn(ProviderPool.create(name, settings(1), Clock.systemUTC()));
    provider.answerNow(versioned("v1"));
    assertTrue(call(pool, Duration.ofSeconds(30)).isSuccess());

    provider.close(); // the provider restarts: its socket is gone
    assertFalse(Files.exists(dir.resolve(name + ".sock")));
    TestProbe<StatusReply<ProviderMountResult>> reply = testKit.createTestProbe();
    pool.tell(new ProviderPool.Call(REQUEST, Instant.now().plusSeconds(60), reply.getRef()));
    awaitScrape("sscsi_provider_calls_in_flight{provider=\"" + name + "\"} 1.0");

    provider = TestProvider.start(dir, name.value()).answerNow(versioned("v2"));
    StatusReply<ProviderMountResult> answered = reply.receiveMessage(Duration.ofSeconds(60));
    assertTrue(answered.isSuccess(), () -> answered.getError().getMessage());
    assertEquals(Map.of("secret/key", "v2"), answered.getValue().versions());
  }

  @Test
  void aProviderWhoseSocketMovedIsFoundWhenTheChannelReconnects() throws Exception {
    Path other = Files.createDirectories(dir.resolve("first"));
    ProviderSettings twoDirs = new ProviderSettings(List.of(other, dir), 1, 8, Duration.ofMinutes(2), 4 << 20, 5,
        Duration.ofSeconds(10), null, ProviderSettings.UPSTREAM_RECONNECT);
    ActorRef<ProviderPool.Command> pool = testKit.spawn(ProviderPool.create(name, twoDirs, Clock.systemUTC()));
    provider.answerNow(versioned("in-the-last-dir"));
    assertEquals(Map.of("secret/key", "in-the-last-dir"), call(pool, Duration.ofSeconds(30)).getValue().versions());

    provider.close();
    provider = TestProvider.start(other, name.value()).answerNow(versioned("in-the-first-dir"));
    StatusReply<ProviderMountResult> moved = call(pool, Duration.ofSeconds(60));
    assertTrue(moved.isSuccess(), () -> moved.getError().getMessage());
    assertEquals(Map.of("secret/key", "in-the-first-dir"), moved.getValue().versions());
  }

  static MountResponse versioned(String version) {
    return TestProvider.file("key", 0644, "x").toBuilder()
        .setObjectVersion(0, io.sscsi.provider.v1alpha1.ObjectVersion.newBuilder().setId("secret/key").setVersion(version))
        .build();
  }

  /** Waits for the metrics scrape (Kamon ticks every 2 s) to show {@code line}. */
  void awaitScrape(String line) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(15), () -> {
      assertTrue(DriverMetrics.scrape().contains(line), line);
      return null;
    });
  }
}
