package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.grpc.Status;
import io.sscsi.fileprovider.FileProvider;
import io.sscsi.fs.MountTable;
import io.sscsi.testkit.CsiClient;
import io.sscsi.testkit.DriverChild;
import io.sscsi.testkit.DriverNode;
import io.sscsi.testkit.Integration;
import io.sscsi.testkit.Requests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Local mode across a SIGKILL: the restarted driver (same {@code --local-state}) adopts the volume
 * its status file names, through the same restart recovery as in a cluster, so {@code /volumes}
 * lists it and kubelet's unpublish removes it, status file and all.
 */
@Integration
class LocalRecoveryAfterSigkillTest {

  @Test
  void aLocalVolumeIsAdoptedFromItsStatusFileAfterASigkill() throws Exception {
    try (DriverNode node = DriverNode.local("sscsi-local-recovery-")) {
      adoptedAfterSigkill(node);
    }
  }

  private static void adoptedAfterSigkill(DriverNode node) throws Exception {
    Path root = node.root;
    Path classes = node.classes();
    Path state = node.state();
    Files.writeString(classes.resolve("app.yaml"), "apiVersion: secrets-store.csi.x-k8s.io/v1\n"
        + "kind: SecretProviderClass\nmetadata: {name: app, namespace: team-a}\n"
        + "spec:\n  provider: file\n  parameters:\n    objects: |\n      array:\n        - |\n          objectName: db/pass\n"
        + "          objectAlias: password\n");
    Path sources = Files.createDirectories(root.resolve("sources/db"));
    Files.writeString(sources.resolve("pass"), "hunter2");
    Path target = root.resolve("pods/uid-1/volumes/kubernetes.io~csi/secrets/mount");
    Path statusFile = state.resolve("team-a/web-1-team-a-app.json");
    try (FileProvider provider = FileProvider.serve(root.resolve("sources"), node.providers.resolve("file.sock"))) {
      DriverChild driver = node.start("driver-1.log");
      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "team-a", "web-1", "uid-1", "app").build())
            .getCode());
      }
      assertEquals("hunter2", Files.readString(target.resolve("password")));
      assertTrue(Files.exists(statusFile));

      driver.kill();
      driver = node.start("driver-2.log");
      String volumes = driver.awaitAdmin("/volumes", body -> body.contains(target.toString()), Duration.ofSeconds(30));
      assertTrue(volumes.contains("\"state\" : \"adopted\""), volumes);
      assertTrue(volumes.contains("\"podName\" : \"web-1\""), volumes);
      assertTrue(volumes.contains("\"secretProviderClass\" : \"app\""), volumes);

      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.OK, csi.unpublish("secrets", target).getCode());
      }
      assertTrue(new MountTable().under(root).isEmpty(), "unmounted");
      assertFalse(Files.exists(target));
      assertFalse(Files.exists(statusFile), "its status file went with it");
      driver.awaitAdmin("/volumes", body -> !body.contains(target.toString()), Duration.ofSeconds(30));
    }
  }
}
