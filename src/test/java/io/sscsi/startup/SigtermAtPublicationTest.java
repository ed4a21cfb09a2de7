package io.sscsi.startup;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.cli.Jvm;
import io.sscsi.testkit.Integration;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SIGTERM that arrives the moment the driver's socket file appears (before the driver has got
 * further than publishing it) still removes it: the driver's one shutdown hook is registered before
 * the bind and unbinds whatever has been published, whatever phase the start is in. The SIGTERM is
 * sent from the inotify event of the rename into place, not after any delay.
 */
@Integration
class SigtermAtPublicationTest {
  @TempDir Path dir;

  @RepeatedTest(5)
  void aSigtermAsTheSocketAppearsLeavesNoSocketFile() throws Exception {
    Path socket = dir.resolve("plugin/csi.sock");
    Path staging = socket.resolveSibling(".csi.sock.starting");
    Files.createDirectories(socket.getParent());
    Path log = dir.resolve("driver.log");
    try (WatchService watch = FileSystems.getDefault().newWatchService()) {
      socket.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
      Process driver = Jvm.start(log, "io.sscsi.Main", "driver", "--endpoint=unix://" + socket, "--nodeid=node-1",
          "--provider-volume=" + dir.resolve("providers"), "--additional-provider-volume-paths=",
          "--local-classes=" + Files.createDirectories(dir.resolve("classes")), "--local-state=" + dir.resolve("state"),
          "--kubelet-dir=", "--metrics-addr=127.0.0.1:0", "--admin-addr=127.0.0.1:0");
      try {
        awaitCreated(watch, socket, driver, log);
        driver.destroy(); // SIGTERM
        assertTrue(driver.waitFor(3, TimeUnit.MINUTES), () -> "the driver did not exit on SIGTERM: " + Jvm.log(log));
        assertFalse(Files.exists(socket), () -> "csi.sock left behind: " + Jvm.log(log));
        assertFalse(Files.exists(staging), () -> ".csi.sock.starting left behind: " + Jvm.log(log));
      } finally {
        Jvm.kill(driver);
      }
    }
  }

  /** Waits for the inotify create event of {@code file} (a hang guard of 3 minutes for an overloaded machine). */
  private static void awaitCreated(WatchService watch, Path file, Process driver, Path log) throws Exception {
    long guard = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (true) {
      assertTrue(driver.isAlive(), () -> "the driver exited before serving: " + Jvm.log(log));
      assertTrue(System.nanoTime() < guard, () -> "no socket file after 3 minutes: " + Jvm.log(log));
      WatchKey key = watch.poll(1, TimeUnit.SECONDS);
      if (key != null) {
        for (WatchEvent<?> e : key.pollEvents()) {
          if (file.getFileName().equals(e.context())) {
            return;
          }
        }
        key.reset();
      }
    }
  }
}
