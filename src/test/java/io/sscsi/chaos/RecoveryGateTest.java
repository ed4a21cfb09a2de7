package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.grpc.Status;
import io.sscsi.fileprovider.FileProvider;
import io.sscsi.testkit.CsiClient;
import io.sscsi.testkit.DriverChild;
import io.sscsi.testkit.DriverNode;
import io.sscsi.testkit.Integration;
import io.sscsi.testkit.Requests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 item 1: volume calls that reach a restarted driver before its restart recovery has
 * finished. A volume of pod web-1 is published, the driver SIGKILLed and started again with a
 * status file that is a FIFO: recovery's read of it blocks until the test writes it, so recovery is
 * held for as long as the test wants (as 30,000 status files slowed it down). A publish for another
 * pod to web-1's target meanwhile must not be decided: it waits, and is answered DEADLINE_EXCEEDED
 * (retryable) at its deadline, with web-1's files untouched. Once recovery has finished the foreign
 * publish is refused (ALREADY_EXISTS) and the owner's republish is OK.
 */
@Integration
class RecoveryGateTest {

  @Test
  void aPublishBeforeRecoveryHasFinishedWaitsForIt() throws Exception {
    try (DriverNode node = DriverNode.local("sscsi-recovery-gate-")) {
      heldUntilRecovered(node);
    }
  }

  private static void heldUntilRecovered(DriverNode node) throws Exception {
    Path root = node.root;
    Path classes = node.classes();
    Path state = node.state();
    Files.writeString(classes.resolve("app.yaml"), spc("app", "db/pass", "password"));
    Files.writeString(classes.resolve("other.yaml"), spc("other", "db/other", "password"));
    Path sources = Files.createDirectories(root.resolve("sources/db"));
    Files.writeString(sources.resolve("pass"), "hunter2");
    Files.writeString(sources.resolve("other"), "intruder");
    Path target = root.resolve("pods/uid-1/volumes/kubernetes.io~csi/secrets/mount");
    var owner = Requests.publish(target, "team-a", "web-1", "uid-1", "app").build();
    var foreign = Requests.publish(target, "team-a", "intruder", "uid-2", "other").build();
    Thread releaser = null;
    try (FileProvider provider = FileProvider.serve(root.resolve("sources"), node.providers.resolve("file.sock"))) {
      DriverChild driver = node.start("driver-1.log");
      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.OK, csi.publish(owner).getCode());
      }
      driver.kill();

      Path hold = Files.createDirectories(state.resolve("zz-hold")).resolve("hold.json");
      Process mkfifo = new ProcessBuilder("mkfifo", hold.toString()).inheritIO().start();
      assertTrue(mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
      driver = node.start("driver-2.log");
      try (CsiClient csi = new CsiClient(driver.socket)) {
        Status early = csi.publish(foreign, Duration.ofSeconds(10));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, early.getCode(),
            "decided before recovery had finished: " + early);
        assertEquals("hunter2", Files.readString(target.resolve("password")), "the owner's files are untouched");

        CompletableFuture<Void> released = new CompletableFuture<>();
        releaser = new Thread(() -> { // opening a FIFO for writing waits for its reader: the recovery
          try {
            Files.writeString(hold, "{}");
            released.complete(null);
          } catch (Exception e) {
            released.completeExceptionally(e);
          }
        });
        releaser.setDaemon(true);
        releaser.start();
        released.get(60, TimeUnit.SECONDS);

        assertEquals(Status.Code.ALREADY_EXISTS, csi.publish(foreign).getCode(), "another pod's publish, after recovery");
        assertEquals("hunter2", Files.readString(target.resolve("password")));
        assertEquals(Status.Code.OK, csi.publish(owner).getCode(), "the owner's republish");
        assertEquals("hunter2", Files.readString(target.resolve("password")));
        assertEquals(Status.Code.OK, csi.unpublish("secrets", target).getCode());
      }
      assertFalse(Files.exists(target));
    } finally {
      if (releaser != null) {
        releaser.interrupt();
      }
    }
  }

  static String spc(String name, String object, String alias) {
    return "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: " + name
        + ", namespace: team-a}\nspec:\n  provider: file\n  parameters:\n    objects: |\n      array:\n        - |\n"
        + "          objectName: " + object + "\n          objectAlias: " + alias + "\n";
  }
}
