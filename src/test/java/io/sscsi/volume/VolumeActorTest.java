package io.sscsi.volume;

import static io.sscsi.volume.VolumeFixture.content;
import static io.sscsi.volume.VolumeFixture.request;
import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.spc.ProviderClass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
 * The VolumeRouter and VolumeActor interactions with the pekko testkit and the recording fakes of
 * {@link VolumeFixture}: ordering on one target, what a failed first publish leaves, passivation.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class VolumeActorTest {
  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();
  @TempDir Path dir;

  VolumeFixture world;
  ActorRef<VolumeRouter.Command> router;
  TestProbe<StatusReply<Done>> replies;

  @BeforeEach
  void setUp() {
    world = new VolumeFixture(testKit);
    router = testKit.spawn(VolumeRouter.create(world.deps(VolumeFixture.rotationOff())));
    replies = testKit.createTestProbe();
  }

  private VolumeView describe(Path target) {
    TestProbe<List<ActorRef<VolumeActor.Command>>> list = testKit.createTestProbe();
    TestProbe<VolumeView> view = testKit.createTestProbe();
    router.tell(new VolumeRouter.ListVolumes(list.getRef()));
    for (ActorRef<VolumeActor.Command> volume : list.receiveMessage()) {
      volume.tell(new VolumeActor.Describe(view.getRef()));
      VolumeView v = view.receiveMessage();
      if (v.targetPath().equals(target.toString())) {
        return v;
      }
    }
    throw new AssertionError("no volume actor for " + target);
  }

  @Test
  void overlappingCallsOnOneTargetRunOneAtATimeInArrivalOrder() throws Exception {
    Path target = dir.resolve("mount");

    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    VolumeFixture.ScriptedProviders.Call first = world.providers.next();
    router.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    assertEquals("busy", describe(target).state(), "the calls behind the first publish wait for it");
    assertTrue(world.providers.calls.isEmpty(), "the second publish has not started");

    first.answer(content("v1"));
    assertTrue(replies.receiveMessage().isSuccess(), "first publish");
    assertTrue(replies.receiveMessage().isSuccess(), "unpublish, after the publish");
    assertEquals(List.of("ns/pod-ns-spc"), world.statuses.deletes);

    world.providers.next().answer(content("v2"));
    assertTrue(replies.receiveMessage().isSuccess(), "second publish");
    assertEquals("v2", Files.readString(target.resolve("key")));
    assertEquals(List.of("mount", "unmount", "mount"), world.mounter.log, "never two operations at once");
    assertTrue(world.mounter.mounted.contains(target));
    assertEquals("vault", first.provider().value());
  }

  @Test
  void failedFirstPublishUndoesMountAndDirectory() throws Exception {
    Path target = dir.resolve("pods/uid/mount");

    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().fail(new DriverException(FailureKind.PROVIDER_TIMEOUT, "too slow"));

    StatusReply<Done> reply = replies.receiveMessage();
    assertTrue(reply.isError());
    assertEquals(FailureKind.PROVIDER_TIMEOUT, DriverException.of(reply.getError()).kind());
    assertTrue(world.mounter.mounted.isEmpty());
    assertFalse(Files.exists(target));
    assertTrue(world.statuses.upserts.isEmpty());
    assertTrue(world.sync.calls.isEmpty(), "nothing to sync");
  }

  @Test
  void aClassNamingAnInvalidProviderChangesNothing() {
    world.classes.put("ns/spc", new ProviderClass("ns", "spc", "../etc", Map.of(), List.of()));
    Path target = dir.resolve("bad/mount");

    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));

    StatusReply<Done> reply = replies.receiveMessage();
    assertEquals(FailureKind.SPC_INVALID, DriverException.of(reply.getError()).kind());
    assertTrue(world.providers.calls.isEmpty(), "no provider call");
    assertTrue(world.mounter.log.isEmpty(), "nothing mounted");
    assertFalse(Files.exists(target), "no directory created");
  }

  @Test
  void theProviderCallCarriesTheCallersDeadlineCappedByTheCallTimeout() throws Exception {
    Path near = dir.resolve("near");
    Path far = dir.resolve("far");

    router.tell(new VolumeRouter.Publish(request(near), world.clock.instant().plusSeconds(5), replies.getRef()));
    VolumeFixture.ScriptedProviders.Call call = world.providers.next();
    assertEquals(world.clock.instant().plusSeconds(5), call.deadline(), "kubelet's deadline when it comes first");
    call.answer(content("a"));
    assertTrue(replies.receiveMessage().isSuccess());

    router.tell(new VolumeRouter.Publish(request(far), world.clock.instant().plusSeconds(600), replies.getRef()));
    call = world.providers.next();
    assertEquals(world.clock.instant().plusSeconds(30), call.deadline(), "else the call-timeout cap");
    call.answer(content("b"));
    assertTrue(replies.receiveMessage().isSuccess());
  }

  @Test
  void aVolumeActorThatFailsMidAttemptAnswersItsCallersAtOnceAndRelearnsOnTheNextPublish() throws Exception {
    Path target = dir.resolve("failing");
    world.sync.broken.set(true);

    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    VolumeFixture.ScriptedProviders.Call call = world.providers.next();
    router.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertEquals("busy", describe(target).state(), "the unpublish is stashed behind the publish");
    call.answer(content("v1"));
    StatusReply<Done> publish = replies.receiveMessage();
    StatusReply<Done> unpublish = replies.receiveMessage();
    assertEquals(FailureKind.INTERNAL, DriverException.of(publish.getError()).kind(), "answered, not left to its deadline");
    assertEquals(FailureKind.INTERNAL, DriverException.of(unpublish.getError()).kind(), "the stashed call too");

    world.sync.broken.set(false);
    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().answer(content("v1"));
    assertTrue(replies.receiveMessage().isSuccess(), "kubelet's retry relearns the mounted volume");
    assertEquals(List.of("mount"), world.mounter.log, "the tmpfs mounted before is used again, not stacked");
    assertEquals("mounted", describe(target).state());
  }

  @Test
  void idleVolumeIsPassivatedAndALaterPublishGetsAFreshActor() throws Exception {
    router = testKit.spawn(VolumeRouter.create(world.deps(VolumeFixture.rotationOff()), 0)); // no idle actor kept
    Path target = dir.resolve("m");
    TestProbe<List<ActorRef<VolumeActor.Command>>> list = testKit.createTestProbe();

    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().answer(content("a"));
    assertTrue(replies.receiveMessage().isSuccess());
    router.tell(new VolumeRouter.ListVolumes(list.getRef()));
    ActorRef<VolumeActor.Command> before = list.receiveMessage().get(0);
    router.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    list.awaitAssert(() -> {
      router.tell(new VolumeRouter.ListVolumes(list.getRef()));
      assertEquals(List.of(), list.receiveMessage());
      return null;
    });

    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().answer(content("b"));
    assertTrue(replies.receiveMessage().isSuccess());
    router.tell(new VolumeRouter.ListVolumes(list.getRef()));
    List<ActorRef<VolumeActor.Command>> after = list.receiveMessage();
    assertEquals(1, after.size());
    assertNotEquals(before, after.get(0));
  }

  @Test
  void anIdleActorRestsForItsPathsNextPublishAndTheOneIdleLongestStopsBeyondTheBound() throws Exception {
    router = testKit.spawn(VolumeRouter.create(world.deps(VolumeFixture.rotationOff()), 1)); // one idle actor kept
    Path first = dir.resolve("first");
    Path second = dir.resolve("second");
    ActorRef<VolumeActor.Command> firstActor = publishAndUnpublish(first, "a");

    assertEquals(firstActor, publishAndUnpublish(first, "b"), "the resting actor takes its path's next publish");
    publishAndUnpublish(second, "c"); // two idle now: the one idle longest (first's) is passivated
    assertNotEquals(firstActor, publishAndUnpublish(first, "d"), "first's actor stopped: a fresh one took the call");
  }

  /** Publishes and unpublishes {@code target}; the actor that held it, as the router listed it while mounted. */
  private ActorRef<VolumeActor.Command> publishAndUnpublish(Path target, String version) throws Exception {
    TestProbe<List<ActorRef<VolumeActor.Command>>> list = testKit.createTestProbe();
    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().answer(content(version));
    assertTrue(replies.receiveMessage().isSuccess());
    router.tell(new VolumeRouter.ListVolumes(list.getRef()));
    List<ActorRef<VolumeActor.Command>> inUse = list.receiveMessage();
    assertEquals(1, inUse.size(), "only the mounted volume is listed; resting idle actors are not");
    router.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    list.awaitAssert(() -> {
      router.tell(new VolumeRouter.ListVolumes(list.getRef()));
      assertEquals(List.of(), list.receiveMessage(), "idle: resting or passivated, not listed");
      return null;
    });
    return inUse.get(0);
  }

  /**
   * The router's hand-off, with its window held open: the actor's idle report reaches the router while
   * the actor is busy with a first publish (its provider call unanswered), so the router's Stop waits in
   * the actor's stash and the next call waits in the router's buffer. The publish fails, the actor is
   * idle and stops: the buffered call goes to a fresh actor and is answered.
   */
  @Test
  void aCallBufferedWhileItsActorStopsGoesToAFreshActor() throws Exception {
    router = testKit.spawn(VolumeRouter.create(world.deps(VolumeFixture.rotationOff()), 0));
    Path target = dir.resolve("window");
    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    VolumeFixture.ScriptedProviders.Call first = world.providers.next();
    ActorRef<VolumeActor.Command> stopping = onlyVolume();

    router.tell(new VolumeRouter.Passivate(target, stopping)); // the window opens: Stop is stashed behind the publish
    TestProbe<StatusReply<Done>> buffered = testKit.createTestProbe();
    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), buffered.getRef()));
    assertEquals(List.of(stopping), listed(), "still one actor for the path");
    assertTrue(world.providers.calls.isEmpty(), "the buffered publish reached no actor");

    first.fail(new DriverException(FailureKind.PROVIDER_UNAVAILABLE, "down"));
    assertTrue(replies.receiveMessage().isError());
    world.providers.next().answer(content("v1")); // the buffered publish, now at a fresh actor
    assertTrue(buffered.receiveMessage().isSuccess(), "no call lost to the stopping actor");
    List<ActorRef<VolumeActor.Command>> now = listed();
    assertEquals(1, now.size());
    assertNotEquals(stopping, now.get(0));
  }

  /**
   * The same window, but the call the actor was busy with mounted the volume: the actor cancels its
   * passivation and the buffered call goes to it.
   */
  @Test
  void aCallBufferedWhileItsActorCancelsPassivationGoesToThatActor() throws Exception {
    router = testKit.spawn(VolumeRouter.create(world.deps(VolumeFixture.rotationOff()), 0));
    Path target = dir.resolve("window");
    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    VolumeFixture.ScriptedProviders.Call first = world.providers.next();
    ActorRef<VolumeActor.Command> volume = onlyVolume();

    router.tell(new VolumeRouter.Passivate(target, volume));
    TestProbe<StatusReply<Done>> buffered = testKit.createTestProbe();
    router.tell(new VolumeRouter.Publish(request(target), world.deadline(), buffered.getRef()));

    first.answer(content("v1"));
    assertTrue(replies.receiveMessage().isSuccess());
    assertTrue(buffered.receiveMessage().isSuccess(), "the republish, answered by the mounted actor");
    assertTrue(world.providers.calls.isEmpty(), "rotation off: the republish called no provider");
    assertEquals(List.of(volume), listed(), "the actor stayed");
    assertEquals("mounted", describe(target).state());
  }

  private List<ActorRef<VolumeActor.Command>> listed() {
    TestProbe<List<ActorRef<VolumeActor.Command>>> list = testKit.createTestProbe();
    router.tell(new VolumeRouter.ListVolumes(list.getRef()));
    return list.receiveMessage();
  }

  private ActorRef<VolumeActor.Command> onlyVolume() {
    List<ActorRef<VolumeActor.Command>> all = listed();
    assertEquals(1, all.size());
    return all.get(0);
  }
}
