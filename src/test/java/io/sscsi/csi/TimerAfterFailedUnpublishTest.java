package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.fs.JnrMounter;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.testkit.*;
import io.sscsi.volume.VolumeView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 7 against the real driver: a refused unpublish (a mount nested inside the volume)
 * leaves the volume with its rotation timer armed, so once the nested mount is gone the volume
 * refreshes on its own again. The driver used to cancel the timer when the unpublish started and
 * never arm it again: that volume never refreshed until kubelet's next unpublish.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class TimerAfterFailedUnpublishTest {
  static KubernetesClient client;

  @Test
  void aRefusedUnpublishKeepsTheRotationTimer() throws Exception {
    AtomicInteger version = new AtomicInteger(1);
    JnrMounter mounter = new JnrMounter();
    try (DriverHarness driver = DriverHarness.start(client, Map.of(
        "sscsi.driver.enable-secret-rotation", true,
        "sscsi.driver.rotation-poll-interval", "1s"));
        TestProvider provider = driver.provider("keeper").answer(r -> CompletableFuture.completedFuture(
            TestProvider.file("foo", 0644, "secret-v" + version.get()).toBuilder()
                .setObjectVersion(0, ObjectVersion.newBuilder().setId("secret/foo").setVersion("v" + version.get()))
                .build()));
        CsiClient csi = driver.client()) {
      new Cluster(client).secretProviderClass("ns", "spc", "keeper", Map.of("objects", "foo"));
      Path target = driver.target("uid-timer", "v");
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "ns", "pod", "uid-timer", "spc").build()).getCode());
      assertNotNull(view(driver, target).nextRefresh(), "a mounted volume's timer is armed");

      Path nested = Files.createDirectory(target.resolve("zz-nested"));
      mounter.mountTmpfs(nested, 0);
      try {
        Status refused = csi.unpublish("v", target);
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getCode(), refused.toString());
        VolumeView after = view(driver, target);
        assertEquals("mounted", after.state());
        assertNotNull(after.nextRefresh(), "the timer is armed again after the refused unpublish: " + after);
      } finally {
        mounter.unmount(nested);
        Files.delete(nested);
      }

      version.set(2);
      awaitContent(target.resolve("foo"), "secret-v2", Duration.ofSeconds(30));
      assertEquals("secret-v2", Files.readString(target.resolve("foo")), "the timer refreshed the volume");
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    }
  }

  static VolumeView view(DriverHarness driver, Path target) {
    return driver.volumeViews().stream().filter(v -> v.targetPath().equals(target.toString())).findFirst()
        .orElseThrow(() -> new AssertionError("no volume actor for " + target));
  }

  /** Waits until the file holds {@code expected} (the volume's own timer refreshes it). */
  static void awaitContent(Path file, String expected, Duration max) {
    Await.value(file + " holds " + expected, max.compareTo(Await.LIMIT) > 0 ? max : Await.LIMIT,
        () -> Files.readString(file), expected::equals);
  }
}
