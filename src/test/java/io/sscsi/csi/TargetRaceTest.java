package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.fs.Mounter;
import io.sscsi.fs.MountTable;
import io.sscsi.testkit.*;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 5 against the real driver: the driver checked the target (a directory it just
 * created, no link on its way), and before its mount(2) a racer on the node moves the directory
 * away and puts a symbolic link to it in its place. The race is made deterministic by a seam around
 * the real mounter that does the swap right before the mount. The tmpfs must not land on the link's
 * destination: the publish is refused and nothing is left mounted anywhere.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class TargetRaceTest {
  static KubernetesClient client;

  @Test
  void aTargetSwappedForALinkBeforeTheMountIsNotMountedThrough() throws Exception {
    try (DriverHarness driver = DriverHarness.startWithMounter(client, SwapBeforeMount::new);
        TestProvider provider = driver.provider("keeper");
        CsiClient csi = driver.client()) {
      new Cluster(client).secretProviderClass("ns", "spc", "keeper", Map.of("objects", "foo"));
      Path target = driver.target("uid-race", "v");

      Status status = csi.publish(Requests.publish(target, "ns", "pod-race", "uid-race", "spc").build());

      Path moved = target.resolveSibling("moved-away");
      assertTrue(Files.isDirectory(moved), "the racer did swap the target");
      assertTrue(new MountTable().under(driver.root).isEmpty(), "nothing mounted, not on the link's destination either");
      assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode(), status.toString());
      assertTrue(provider.requests.isEmpty(), "the provider was not called");
    }
  }

  /**
   * The real mounter, with a racer's swap of the target for a link just before each mount; what is
   * mounted where is read from the mount table as by the real one (the interface's default).
   */
  static final class SwapBeforeMount implements Mounter {
    private final Mounter real;

    SwapBeforeMount(Mounter real) {
      this.real = real;
    }

    @Override
    public void mountTmpfs(Path target, long sizeLimitBytes) {
      try {
        Path moved = Files.move(target, target.resolveSibling("moved-away"));
        Files.createSymbolicLink(target, moved);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      real.mountTmpfs(target, sizeLimitBytes);
    }

    @Override
    public void unmount(Path target) {
      real.unmount(target);
    }
  }
}
