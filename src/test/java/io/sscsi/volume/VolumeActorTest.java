package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.fs.AtomicWriter;
import io.sscsi.fs.Mounter;
import io.sscsi.fs.PayloadFile;
import io.sscsi.provider.ProviderMountResult;
import io.sscsi.provider.ProviderRegistry;
import io.sscsi.spc.PodStatus;
import io.sscsi.spc.PodStatusStore;
import io.sscsi.spc.ProviderClass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VolumeRouter and VolumeActor interactions with the pekko testkit: the provider registry is a
 * probe the test answers by hand, the mounter a fake that records mounts, the writer real.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class VolumeActorTest {
  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();
  @TempDir Path dir;

  /** Records mounts instead of calling mount(2). */
  static final class RecordingMounter implements Mounter {
    final Set<Path> mounted = ConcurrentHashMap.newKeySet();
    final List<String> log = new CopyOnWriteArrayList<>();
    @Override public void mountTmpfs(Path target, long sizeLimitBytes) { mounted.add(target); log.add("mount"); }
    @Override public void unmount(Path target) { mounted.remove(target); log.add("unmount"); }
    @Override public boolean isMountPoint(Path target) { return mounted.contains(target); }
  }

  static final class RecordingStatuses implements PodStatusStore {
    final List<PodStatus> upserts = new CopyOnWriteArrayList<>();
    final List<String> deletes = new CopyOnWriteArrayList<>();
    final java.util.concurrent.atomic.AtomicInteger failuresLeft = new java.util.concurrent.atomic.AtomicInteger();
    @Override public void upsert(PodStatus status) {
      if (failuresLeft.getAndDecrement() > 0) {
        throw new DriverException(FailureKind.API_UNAVAILABLE, "API server answered 500");
      }
      upserts.add(status);
    }
    @Override public void delete(String ns, String name) { deletes.add(ns + "/" + name); }
  }

  RecordingMounter mounter;
  RecordingStatuses statuses;
  TestProbe<ProviderRegistry.Command> providers;
  ActorRef<VolumeRouter.Command> router;

  @BeforeEach
  void setUp() {
    mounter = new RecordingMounter();
    statuses = new RecordingStatuses();
    providers = testKit.createTestProbe();
    VolumeDeps deps = new VolumeDeps(
        (ns, name) -> new ProviderClass(ns, name, "vault", Map.of("role", "r"), List.of()),
        statuses, mounter, new AtomicWriter(), providers.getRef(),
        testKit.system().executionContext(), testKit.system().scheduler(),
        new VolumeSettings("node-1", 0, Duration.ofSeconds(5)), io.sscsi.spc.SecretSync.DISABLED,
        io.sscsi.spc.PodEvents.NONE, io.sscsi.spc.NodePublishSecrets.NONE);
    router = testKit.spawn(VolumeRouter.create(deps));
  }

  private PublishRequest request(Path target) {
    return new PublishRequest("vol", target, "spc", "pod", "ns", "uid-1",
        Map.of("secretProviderClass", "spc"), Map.of());
  }

  private static ProviderMountResult content(String value) {
    return new ProviderMountResult(List.of(new PayloadFile("key", 0644, value.getBytes())), Map.of("secret/key", value));
  }

  @Test
  void overlappingCallsOnOneTargetRunOneAtATimeInArrivalOrder() throws Exception {
    Path target = dir.resolve("mount");
    TestProbe<StatusReply<Done>> replies = testKit.createTestProbe();

    router.tell(new VolumeRouter.Publish(request(target), replies.getRef()));
    ProviderRegistry.Mount first = providers.expectMessageClass(ProviderRegistry.Mount.class);
    router.tell(new VolumeRouter.Unpublish(target, replies.getRef()));
    router.tell(new VolumeRouter.Publish(request(target), replies.getRef()));
    providers.expectNoMessage(Duration.ofMillis(200)); // the second publish waits for the first

    first.replyTo().tell(StatusReply.success(content("v1")));
    assertTrue(replies.receiveMessage().isSuccess(), "first publish");
    assertTrue(replies.receiveMessage().isSuccess(), "unpublish, after the publish");
    assertEquals(List.of("ns/pod-ns-spc"), statuses.deletes);

    ProviderRegistry.Mount second = providers.expectMessageClass(ProviderRegistry.Mount.class);
    second.replyTo().tell(StatusReply.success(content("v2")));
    assertTrue(replies.receiveMessage().isSuccess(), "second publish");
    assertEquals("v2", Files.readString(target.resolve("key")));
    assertEquals(List.of("mount", "unmount", "mount"), mounter.log, "never two operations at once");
    assertTrue(mounter.mounted.contains(target));
    assertEquals("vault", first.provider());
  }

  @Test
  void failedFirstPublishUndoesMountAndDirectory() {
    Path target = dir.resolve("pods/uid/mount");
    TestProbe<StatusReply<Done>> replies = testKit.createTestProbe();

    router.tell(new VolumeRouter.Publish(request(target), replies.getRef()));
    providers.expectMessageClass(ProviderRegistry.Mount.class).replyTo()
        .tell(StatusReply.error(new DriverException(FailureKind.PROVIDER_TIMEOUT, "too slow")));

    StatusReply<Done> reply = replies.receiveMessage();
    assertTrue(reply.isError());
    assertEquals(FailureKind.PROVIDER_TIMEOUT, DriverException.of(reply.getError()).kind());
    assertTrue(mounter.mounted.isEmpty());
    assertFalse(Files.exists(target));
    assertTrue(statuses.upserts.isEmpty());
  }

  @Test
  void aStatusTheApiServerRefusesIsRetriedWithoutFailingThePublish() throws Exception {
    statuses.failuresLeft.set(2);
    Path target = dir.resolve("api-down");
    TestProbe<StatusReply<Done>> replies = testKit.createTestProbe();

    router.tell(new VolumeRouter.Publish(request(target), replies.getRef()));
    providers.expectMessageClass(ProviderRegistry.Mount.class).replyTo().tell(StatusReply.success(content("ok")));

    assertTrue(replies.receiveMessage().isSuccess(), "the files are correct: the publish succeeds");
    assertEquals("ok", Files.readString(target.resolve("key")));
    assertTrue(statuses.upserts.isEmpty());
    replies.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(1, statuses.upserts.size(), "written by the actor's retries (1 s, then 2 s)");
      return null;
    });
  }

  @Test
  void idleVolumeIsPassivatedAndALaterPublishGetsAFreshActor() {
    Path target = dir.resolve("m");
    TestProbe<StatusReply<Done>> replies = testKit.createTestProbe();
    TestProbe<Integer> count = testKit.createTestProbe();

    router.tell(new VolumeRouter.Publish(request(target), replies.getRef()));
    providers.expectMessageClass(ProviderRegistry.Mount.class).replyTo().tell(StatusReply.success(content("a")));
    assertTrue(replies.receiveMessage().isSuccess());
    router.tell(new VolumeRouter.Unpublish(target, replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    count.awaitAssert(() -> {
      router.tell(new VolumeRouter.CountVolumes(count.getRef()));
      assertEquals(0, count.receiveMessage());
      return null;
    });

    router.tell(new VolumeRouter.Publish(request(target), replies.getRef()));
    providers.expectMessageClass(ProviderRegistry.Mount.class).replyTo().tell(StatusReply.success(content("b")));
    assertTrue(replies.receiveMessage().isSuccess());
    router.tell(new VolumeRouter.CountVolumes(count.getRef()));
    assertEquals(1, count.receiveMessage());
  }
}
