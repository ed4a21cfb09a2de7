package io.sscsi.volume;

import static io.sscsi.volume.VolumeFixture.content;
import static io.sscsi.volume.VolumeFixture.request;
import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.fs.AtomicWriter;
import io.sscsi.fs.PayloadFile;
import io.sscsi.status.PodStatus;
import io.sscsi.spc.ProviderClass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * A volume adopted after a restart: known only from its status object until kubelet republishes
 * it, then it learns its class, provider and nodePublishSecretRef (without a provider call unless
 * the refresh gate says so) and behaves like a volume published in this process.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class AdoptedVolumeTest {
  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();
  @TempDir Path dir;

  static final ProviderClass SYNCED = new ProviderClass("ns", "spc", "vault", Map.of("role", "r"), List.of(
      new ProviderClass.SecretObject("mirror", "Opaque", Map.of(), Map.of(),
          List.of(new ProviderClass.DataItem("key", "k")))));

  VolumeFixture world;
  TestProbe<StatusReply<Done>> replies;
  TestProbe<VolumeRouter.Command> router;
  Path target;
  AdoptedVolume adopted;

  @BeforeEach
  void setUp() throws Exception {
    world = new VolumeFixture(testKit);
    world.classes.put("ns/spc", SYNCED);
    world.publishSecrets.refs.put("ns/pod", "creds");
    replies = testKit.createTestProbe();
    router = testKit.createTestProbe();
    target = Files.createDirectories(dir.resolve("pods/uid-1/volumes/kubernetes.io~csi/v/mount"));
    world.mounter.mounted.add(target);
    new AtomicWriter().write(target, List.of(new PayloadFile("key", 0644, "before-the-restart".getBytes())));
    PodStatus status = new PodStatus("pod", "ns", "uid-1", "spc", "node-1", target.toString(), Map.of("secret/key", "v0"));
    adopted = new AdoptedVolume(target, status, VolumeFixture.T0.minusSeconds(30));
  }

  ActorRef<VolumeActor.Command> adopt(VolumeSettings settings) {
    return testKit.spawn(VolumeActor.create(target, world.deps(settings), router.getRef(), Optional.of(adopted)));
  }

  VolumeView describe(ActorRef<VolumeActor.Command> volume) {
    TestProbe<VolumeView> view = testKit.createTestProbe();
    volume.tell(new VolumeActor.Describe(view.getRef()));
    return view.receiveMessage();
  }

  @Test
  void kubeletsRepublishTeachesItsClassAndThenItIsLikeAnyMountedVolume() throws Exception {
    ActorRef<VolumeActor.Command> volume = adopt(VolumeFixture.rotationOn(Duration.ofHours(1), false));
    VolumeView before = describe(volume);
    assertEquals("adopted", before.state());
    assertEquals("", before.provider(), "not known before kubelet republishes");
    assertEquals("spc", before.secretProviderClass());
    assertEquals(Map.of("secret/key", "v0"), before.objects());

    volume.tell(new VolumeRouter.Publish(request(target, Map.of("user", "alice")), world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    assertTrue(world.providers.calls.isEmpty(), "within the interval since the payload was written: no fetch");
    assertEquals("before-the-restart", Files.readString(target.resolve("key")));
    VolumeView after = describe(volume);
    assertEquals("mounted", after.state());
    assertEquals("vault", after.provider());
    assertEquals("published spc 1 pod", world.sync.calls.poll(10, TimeUnit.SECONDS),
        "SecretSync owns the class's Secrets for this pod again");

    world.publishSecrets.data.put("ns/creds", Map.of("user", "bob"));
    volume.tell(new VolumeActor.PublishSecretChanged("ns", "creds"));
    VolumeFixture.ScriptedProviders.Call refresh = world.providers.next();
    assertEquals("{\"user\":\"bob\"}", refresh.request().secretsJson(), "its nodePublishSecretRef was learned");
    assertEquals(Map.of("secret/key", "v0"), refresh.request().currentVersions());
    refresh.answer(content("v1"));
    assertEquals("published spc 1 pod", world.sync.calls.poll(10, TimeUnit.SECONDS), "new content is synced");

    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals("unpublished spc 1 pod", world.sync.calls.poll(10, TimeUnit.SECONDS), "ownership released");
    assertEquals(List.of("ns/pod-ns-spc"), world.statuses.deletes);
    assertFalse(Files.exists(target));
  }

  @Test
  void aRepublishAfterTheIntervalFetchesAsForAnyMountedVolume() throws Exception {
    ActorRef<VolumeActor.Command> volume = adopt(VolumeFixture.rotationOn(Duration.ofSeconds(10), false));

    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    VolumeFixture.ScriptedProviders.Call refresh = world.providers.next();
    assertEquals(Map.of("secret/key", "v0"), refresh.request().currentVersions());
    refresh.answer(content("v1"));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals("v1", Files.readString(target.resolve("key")));
    assertEquals("mounted", describe(volume).state());
  }

  @Test
  void anUnreadableClassKeepsTheContentAndTheNextRepublishTriesAgain() throws Exception {
    world.classes.clear();
    ActorRef<VolumeActor.Command> volume = adopt(VolumeFixture.rotationOff());

    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess(), "the mounted content is fine: kubelet gets OK");
    assertEquals("adopted", describe(volume).state());

    world.classes.put("ns/spc", SYNCED);
    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals("mounted", describe(volume).state());
  }

  @Test
  void anAdoptedVolumeUnpublishedBeforeAnyRepublishStillReleasesItsSecrets() throws Exception {
    ActorRef<VolumeActor.Command> volume = adopt(VolumeFixture.rotationOff());

    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals("unpublished spc 1 pod", world.sync.calls.poll(10, TimeUnit.SECONDS));
    assertEquals(List.of("ns/pod-ns-spc"), world.statuses.deletes);
    router.expectMessageClass(VolumeRouter.Passivate.class);
  }
  /** A refused unpublish of an adopted volume shows in /volumes, as for any mounted volume, and a retry succeeds. */
  @Test
  void aFailedUnpublishOfAnAdoptedVolumeIsItsLastError() throws Exception {
    ActorRef<VolumeActor.Command> volume = adopt(VolumeFixture.rotationOff());
    assertEquals("ok", describe(volume).lastResult());

    world.mounter.unmountFails.set(true);
    world.advance(Duration.ofSeconds(5));
    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isError(), "kubelet hears that the unpublish failed");
    VolumeView view = describe(volume);
    assertEquals("adopted", view.state());
    assertEquals("failed", view.lastResult());
    assertTrue(view.lastError().contains("Device or resource busy"), view.lastError());
    assertEquals(VolumeFixture.T0.plusSeconds(5), view.lastAttempt());

    world.mounter.unmountFails.set(false);
    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isSuccess(), "kubelet's retry unpublishes it");
    assertEquals(List.of("ns/pod-ns-spc"), world.statuses.deletes);
  }

  /** An adopted volume (rotation off) whose unpublish deleted its files and then could not unmount. */
  private ActorRef<VolumeActor.Command> adoptedThenEmptied() {
    ActorRef<VolumeActor.Command> volume = adopt(VolumeFixture.rotationOff());
    world.mounter.unmountFails.set(true);
    volume.tell(new VolumeRouter.Unpublish(target, world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isError());
    assertFalse(Files.exists(target.resolve("key")), "deleted before the unmount failed");
    return volume;
  }

  /** An adopted volume emptied by a failed unpublish is fetched again when kubelet republishes it (rotation off). */
  @Test
  void anAdoptedVolumeEmptiedByAFailedUnpublishIsFetchedAgain() throws Exception {
    ActorRef<VolumeActor.Command> volume = adoptedThenEmptied();
    assertTrue(describe(volume).lastError().contains("already deleted"), describe(volume).toString());

    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    world.providers.next().answer(content("v1"));
    assertTrue(replies.receiveMessage().isSuccess());
    assertEquals("v1", Files.readString(target.resolve("key")), "learned, then fetched and written again");
    assertEquals("ok", describe(volume).lastResult());
  }

  /** An emptied adopted volume whose class cannot be read answers kubelet's republish with the error, never OK. */
  @Test
  void anEmptiedAdoptedVolumeWhoseClassIsMissingIsAnError() throws Exception {
    ActorRef<VolumeActor.Command> volume = adoptedThenEmptied();

    world.classes.clear();
    volume.tell(new VolumeRouter.Publish(request(target), world.deadline(), replies.getRef()));
    assertTrue(replies.receiveMessage().isError(), "nothing mounted to keep: the class read's failure reaches kubelet");
    VolumeView view = describe(volume);
    assertEquals("adopted", view.state());
    assertTrue(view.lastError().contains("already deleted"), view.toString());
  }
}
