package io.sscsi.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoResponse;
import io.sscsi.testkit.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 item 9: a non-empty directory left at the hidden staging name ({@code .csi.sock.starting})
 * does not stop the start: the real server moves it aside, keeps its files, says where, and serves.
 */
class StaleStagingDirectoryTest {
  @TempDir Path dir;

  @Test
  void aDirectoryAtTheStagingNameIsMovedAsideAndTheServerStarts() throws Exception {
    Path socket = dir.resolve("csi.sock");
    Path staging = Files.createDirectories(dir.resolve(".csi.sock.starting/inside"));
    Files.writeString(staging.resolve("note"), "kept");
    ExecutorService threads = Executors.newCachedThreadPool();
    try (LogCapture logs = LogCapture.open();
        UnixSocketServer server = UnixSocketServer.start(socket, List.of(ServiceBinder.service(CsiMethods.IDENTITY)
            .unary(CsiMethods.GET_PLUGIN_INFO, r -> CompletableFuture.completedFuture(
                GetPluginInfoResponse.newBuilder().setName("x").build()))
            .build()), threads, 1024 * 1024, at -> {})) {

      assertTrue(Files.exists(socket), "the socket is published");
      assertFalse(Files.isDirectory(dir.resolve(".csi.sock.starting")), "nothing left at the staging name");
      List<Path> aside;
      try (var s = Files.list(dir)) {
        aside = s.filter(p -> p.getFileName().toString().startsWith(".csi.sock.starting.aside-")).toList();
      }
      assertEquals(1, aside.size(), aside.toString());
      assertEquals("kept", Files.readString(aside.get(0).resolve("inside/note")), "its files are kept");
      assertTrue(logs.all().contains("moved it aside to " + aside.get(0)), logs.all());
    } finally {
      threads.shutdownNow();
    }
  }
}
