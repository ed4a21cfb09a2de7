package io.sscsi.volume;

import static io.sscsi.volume.VolumeFixture.content;
import static io.sscsi.volume.VolumeFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.testkit.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * Calls held while restart recovery keeps failing (the API server down for as long as kubelet keeps
 * retrying) stay bounded: a held call leaves at its deadline or when kubelet's retry for the same
 * target replaces it, each answered DEADLINE_EXCEEDED, and beyond the bound a call is answered
 * RESOURCE_EXHAUSTED at once. Once recovery succeeds the calls still held are routed. The router's
 * recovery is a stand-in that fails while {@link #apiDown} is set; time is pekko's ManualTime with the
 * fixture's clock. On the old code held calls had no bound and an unpublish never left the list.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class HeldRecoveryCallsTest {
  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();
  @TempDir Path dir;

  private static final int BOUND = 2;
  private final AtomicBoolean apiDown = new AtomicBoolean(true);
  private VolumeFixture world;
  private ActorRef<VolumeRouter.Command> router;

  @BeforeEach
  void setUp() {
    world = new VolumeFixture(testKit);
    VolumeSettings settings = new VolumeSettings("node-1", 0, Duration.ofSeconds(30), false, Duration.ofMinutes(2), true,
        dir);
    router = testKit.spawn(VolumeRouter.create(world.deps(settings), VolumeRouter.MAX_RESTING, new RecoveryProgress(),
        () -> {
          if (apiDown.get()) {
            throw new DriverException(FailureKind.API_UNAVAILABLE, "API server answered 503 to the status list");
          }
          return List.of();
        }, BOUND));
  }

  @Test
  void heldCallsLeaveAtTheirDeadlineOrWhenRetriedAndAreBounded() {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    Path c = dir.resolve("c");
    Instant soon = world.clock.instant().plusSeconds(10);
    TestProbe<StatusReply<Done>> firstA = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> onlyB = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> refusedC = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> retryA = testKit.createTestProbe();

    router.tell(new VolumeRouter.Unpublish(a, soon, firstA.getRef()));
    router.tell(new VolumeRouter.Unpublish(b, soon, onlyB.getRef()));
    router.tell(new VolumeRouter.Publish(request(c), world.deadline(), refusedC.getRef()));
    assertFailed(refusedC, FailureKind.RECOVERY_BACKLOG_FULL, "2 volume calls wait for it already");

    router.tell(new VolumeRouter.Unpublish(a, soon, retryA.getRef()));
    assertFailed(firstA, FailureKind.TIMEOUT, "a newer call for " + a + " replaced this one");

    world.advance(Duration.ofSeconds(10));
    assertFailed(retryA, FailureKind.TIMEOUT, "restart recovery is still running");
    assertFailed(onlyB, FailureKind.TIMEOUT, "restart recovery is still running");

    // both left the list: two new calls are held, a third is refused
    Instant later = world.clock.instant().plus(Duration.ofDays(1));
    TestProbe<StatusReply<Done>> publishC = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> unpublishB = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> refusedA = testKit.createTestProbe();
    router.tell(new VolumeRouter.Publish(request(c), later, publishC.getRef()));
    router.tell(new VolumeRouter.Unpublish(b, later, unpublishB.getRef()));
    router.tell(new VolumeRouter.Publish(request(a), later, refusedA.getRef()));
    assertFailed(refusedA, FailureKind.RECOVERY_BACKLOG_FULL, "retry");

    // the API server is back: the next attempt adopts (nothing here) and routes the calls still held
    apiDown.set(false);
    Await.until("the held publish reaches the provider after recovery", () -> {
      world.advance(Duration.ofSeconds(30));
      return !world.providers.calls.isEmpty();
    });
    world.providers.calls.poll().answer(content("v1"));
    assertTrue(publishC.receiveMessage().isSuccess(), "the held publish, routed");
    assertTrue(unpublishB.receiveMessage().isSuccess(), "the held unpublish, routed");
  }

  private static void assertFailed(TestProbe<StatusReply<Done>> probe, FailureKind kind, String text) {
    StatusReply<Done> reply = probe.receiveMessage();
    assertTrue(reply.isError(), "an error, not " + reply);
    DriverException error = (DriverException) reply.getError();
    assertEquals(kind, error.kind(), error.getMessage());
    assertTrue(error.getMessage().contains(text), error.getMessage());
  }
}
