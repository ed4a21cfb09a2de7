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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One provider's pool against a real gRPC provider on a unix socket (no root needed): a payload
 * check that fails is answered INTERNAL and frees its slot, calls beyond the slots queue and a full
 * queue is refused, and a call made while the provider is gone waits for
 * it to come back, as upstream's waitForReady dialling does.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class ProviderPoolTest {
  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();
  @TempDir Path dir;
  static final ProviderMountRequest REQUEST =
      new ProviderMountRequest("{}", "null", "/target", ProviderMountRequest.DEFAULT_PERMISSION, Map.of());

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

  /** The pool's answer, or the DriverException it failed with. */
  CompletableFuture<MountResponse> call(ActorRef<ProviderPool.Command> pool, Duration within) {
    CompletableFuture<MountResponse> answer = new CompletableFuture<>();
    pool.tell(new ProviderPool.Call(REQUEST, Instant.now().plus(within), answer));
    return answer;
  }

  static MountResponse await(CompletableFuture<MountResponse> answer, Duration within) throws Exception {
    return answer.get(within.plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void aCheckThatFailsIsAnsweredInternalAndFreesItsSlot() throws Exception {
    ProviderPools.ResponseCheck check = (p, response) -> {
      if (response.getObjectVersion(0).getVersion().equals("boom")) {
        throw new IllegalStateException("a bug in the driver");
      }
      return ProviderResponses.check(p, response, io.sscsi.fs.PayloadRules.Policy.UPSTREAM);
    };
    ExecutorService checks = Executors.newSingleThreadExecutor();
    try {
      ProviderPools pools = new ProviderPools(testKit.<ProviderRegistry.Command>createTestProbe().getRef(),
          testKit.scheduler(), Clock.systemUTC(), checks, check);
      ActorRef<ProviderPool.Command> pool = testKit.spawn(ProviderPool.create(name, settings(2), Clock.systemUTC()));
      provider.answerNow(versioned("boom"));

      CompletableFuture<ProviderMountResult> failed = pools.checked(name, call(pool, Duration.ofSeconds(30)));
      ExecutionException error = assertThrows(ExecutionException.class, () -> failed.get(35, TimeUnit.SECONDS));
      assertEquals(FailureKind.INTERNAL, DriverException.of(error.getCause()).kind(), error.getMessage());
      awaitScrape("sscsi_provider_calls_in_flight{provider=\"" + name + "\"} 0.0");

      CompletableFuture<MountResponse> release = new CompletableFuture<>();
      provider.answer(request -> release);
      CompletableFuture<ProviderMountResult> first = pools.checked(name, call(pool, Duration.ofSeconds(30)));
      CompletableFuture<ProviderMountResult> second = pools.checked(name, call(pool, Duration.ofSeconds(30)));
      testKit.createTestProbe().awaitAssert(() -> {
        assertEquals(2, provider.inFlight.get(), "both slots free again: both calls run at once");
        return null;
      });
      release.complete(versioned("v1"));
      assertEquals(Map.of("secret/key", "v1"), first.get(35, TimeUnit.SECONDS).versions());
      assertEquals(Map.of("secret/key", "v1"), second.get(35, TimeUnit.SECONDS).versions());
    } finally {
      checks.shutdownNow();
    }
  }

  @Test
  void callsBeyondTheSlotsWaitInTheQueueAndAFullQueueIsRefusedAtOnce() throws Exception {
    ProviderSettings oneSlotOneQueued = new ProviderSettings(List.of(dir), 1, 1, Duration.ofMinutes(2), 4 << 20, 5,
        Duration.ofSeconds(10), null, ProviderSettings.UPSTREAM_RECONNECT);
    ActorRef<ProviderPool.Command> pool = testKit.spawn(ProviderPool.create(name, oneSlotOneQueued, Clock.systemUTC()));
    CompletableFuture<MountResponse> release = new CompletableFuture<>();
    provider.answer(request -> release);
    CompletableFuture<MountResponse> running = call(pool, Duration.ofSeconds(30));
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals(1, provider.inFlight.get());
      return null;
    });
    CompletableFuture<MountResponse> queued = call(pool, Duration.ofSeconds(30));
    CompletableFuture<MountResponse> refused = call(pool, Duration.ofSeconds(30));
    ExecutionException error = assertThrows(ExecutionException.class, () -> refused.get(10, TimeUnit.SECONDS));
    assertEquals(FailureKind.PROVIDER_OVERLOADED, DriverException.of(error.getCause()).kind());
    assertFalse(queued.isDone(), "the queued call waits for the slot");
    assertEquals(1, provider.inFlight.get(), "one slot: the queued call has not been made");
    release.complete(versioned("v1"));
    assertEquals("v1", await(running, Duration.ofSeconds(30)).getObjectVersion(0).getVersion());
    assertEquals("v1", await(queued, Duration.ofSeconds(30)).getObjectVersion(0).getVersion());
  }

  /**
   * Every provider channel runs on the driver's one client event loop ({@code grpc.ClientEventLoop}), so a
   * call wakes one thread for its connection and its deadline timer; grpc-java's default group (two loops
   * per CPU, the deadline armed on the group's next loop) answers on {@code grpc-default-worker-*}.
   */
  @Test
  void twoProvidersAnswerOnTheOneClientEventLoop() throws Exception {
    ProviderName otherName = new ProviderName(name.value() + "b");
    try (TestProvider other = TestProvider.start(dir, otherName.value())) {
      provider.answerNow(versioned("v1"));
      other.answerNow(versioned("v2"));
      ActorRef<ProviderPool.Command> first = testKit.spawn(ProviderPool.create(name, settings(2), Clock.systemUTC()));
      ActorRef<ProviderPool.Command> second = testKit.spawn(ProviderPool.create(otherName, settings(2), Clock.systemUTC()));
      java.util.Set<String> answeredOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
      List<CompletableFuture<?>> calls = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        for (ActorRef<ProviderPool.Command> pool : List.of(first, second)) {
          CompletableFuture<MountResponse> answer = new CompletableFuture<>();
          calls.add(answer.thenRun(() -> answeredOn.add(Thread.currentThread().getName()))); // before the call: runs where it completes
          pool.tell(new ProviderPool.Call(REQUEST, Instant.now().plusSeconds(30), answer));
        }
      }
      for (CompletableFuture<?> c : calls) {
        c.get(35, TimeUnit.SECONDS);
      }
      assertEquals(1, answeredOn.size(), "one thread answered every call: " + answeredOn);
      String thread = answeredOn.iterator().next();
      org.junit.jupiter.api.Assertions.assertTrue(thread.startsWith("sscsi-grpc-client"), thread);
    }
  }

  @Test
  void aCallMadeWhileTheProviderIsGoneSucceedsWhenItComesBack() throws Exception {
    ActorRef<ProviderPool.Command> pool = testKit.spawn(ProviderPool.create(name, settings(1), Clock.systemUTC()));
    provider.answerNow(versioned("v1"));
    assertEquals("v1", await(call(pool, Duration.ofSeconds(30)), Duration.ofSeconds(30)).getObjectVersion(0).getVersion());

    provider.close(); // the provider restarts: its socket is gone
    assertFalse(Files.exists(dir.resolve(name + ".sock")));
    CompletableFuture<MountResponse> reply = call(pool, Duration.ofSeconds(60));
    awaitScrape("sscsi_provider_calls_in_flight{provider=\"" + name + "\"} 1.0");

    provider = TestProvider.start(dir, name.value()).answerNow(versioned("v2"));
    assertEquals("v2", await(reply, Duration.ofSeconds(60)).getObjectVersion(0).getVersion());
  }

  @Test
  void aProviderWhoseSocketMovedIsFoundWhenTheChannelReconnects() throws Exception {
    Path other = Files.createDirectories(dir.resolve("first"));
    ProviderSettings twoDirs = new ProviderSettings(List.of(other, dir), 1, 8, Duration.ofMinutes(2), 4 << 20, 5,
        Duration.ofSeconds(10), null, ProviderSettings.UPSTREAM_RECONNECT);
    ActorRef<ProviderPool.Command> pool = testKit.spawn(ProviderPool.create(name, twoDirs, Clock.systemUTC()));
    provider.answerNow(versioned("in-the-last-dir"));
    assertEquals("in-the-last-dir",
        await(call(pool, Duration.ofSeconds(30)), Duration.ofSeconds(30)).getObjectVersion(0).getVersion());

    provider.close();
    provider = TestProvider.start(other, name.value()).answerNow(versioned("in-the-first-dir"));
    assertEquals("in-the-first-dir",
        await(call(pool, Duration.ofSeconds(60)), Duration.ofSeconds(60)).getObjectVersion(0).getVersion());
  }

  static MountResponse versioned(String version) {
    return TestProvider.file("key", 0644, "x").toBuilder()
        .setObjectVersion(0, io.sscsi.provider.v1alpha1.ObjectVersion.newBuilder().setId("secret/key").setVersion(version))
        .build();
  }

  /** Waits for the metrics scrape to show {@code line}. */
  void awaitScrape(String line) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(15), () -> {
      assertTrue(DriverMetrics.scrape().contains(line), line);
      return null;
    });
  }
}
