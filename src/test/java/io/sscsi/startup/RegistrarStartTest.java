package io.sscsi.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.csi.v1.GetPluginInfoResponse;
import io.sscsi.csi.v1.NodeGetInfoRequest;
import io.sscsi.grpc.UnixChannels;
import io.sscsi.testkit.Cgroup;
import io.sscsi.testkit.DaemonSetJvm;
import io.sscsi.testkit.Integration;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubelet's node-driver-registrar waits for the driver's socket file, then calls GetPluginInfo with a
 * 1 s timeout and exits if it gets no answer; kubelet then asks NodeGetInfo. What keeps that first
 * call fast is structural, and that is what this asserts, on the driver process as the DaemonSet
 * runs it (its JVM flags, in a cgroup of 200m CPU and 256 MiB): the socket file never exists before
 * the server has answered. The server is bound under a hidden name, answers its own first calls
 * there (logged before the rename), and only then is renamed into place; the first calls on the
 * published socket are answered. How fast is the pod benchmark's business (bench/run.sh --pod:
 * every GetPluginInfo on a bound socket with the registrar's 1 s deadline), not this test's.
 */
@Integration
class RegistrarStartTest {
  static final String WARMED_UP = "the CSI server answered GetPluginInfo, Probe and NodeGetInfo at ";

  @TempDir Path dir;

  @Test
  void theSocketFileAppearsOnlyAfterTheServerAnsweredAtAHiddenName() throws Exception {
    assumeTrue(Cgroup.available(), "needs root and a cgroup cpu+memory controller");
    Path socket = dir.resolve("plugin/csi.sock");
    Path staging = socket.resolveSibling(".csi.sock.starting");
    Files.createDirectories(socket.getParent());

    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
    command.addAll(DaemonSetJvm.flags());
    command.addAll(io.sscsi.cli.Jvm.quietRuntimeFlags());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sscsi.Main", "driver",
        "--endpoint=unix://" + socket, "--nodeid=node-1", "--provider-volume=" + dir.resolve("providers"),
        "--additional-provider-volume-paths=", "--local-classes=" + Files.createDirectories(dir.resolve("classes")),
        "--local-state=" + dir.resolve("state"), "--kubelet-dir=", "--metrics-addr=127.0.0.1:0",
        "--admin-addr=127.0.0.1:0"));
    Path log = dir.resolve("driver.log");
    try (Cgroup pod = Cgroup.create("sscsi-registrar-" + ProcessHandle.current().pid(), 200, 256L << 20);
         WatchService watch = FileSystems.getDefault().newWatchService()) {
      socket.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
      Process driver = new ProcessBuilder(pod.wrap(command)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        List<String> events = awaitFile(watch, socket, driver, log);
        String logAtPublication = read(log); // the warm-up's line is written before the rename
        assertFalse(Files.exists(staging), "the hidden name is renamed, not copied");
        assertTrue(logAtPublication.contains(WARMED_UP + staging), () -> "no answered warm-up before the socket file: "
            + logAtPublication);
        int bound = events.indexOf("create " + staging.getFileName());
        int published = events.indexOf("create " + socket.getFileName());
        assertTrue(bound >= 0 && bound < published, () -> "bound at the hidden name first: " + events);
        assertEquals(1, events.stream().filter(e -> e.equals("create " + socket.getFileName())).count(), events::toString);

        ManagedChannel channel = UnixChannels.open(socket, 1 << 20);
        try {
          CallOptions hangGuard = CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.MINUTES);
          GetPluginInfoResponse info = ClientCalls.blockingUnaryCall(channel, CsiMethods.GET_PLUGIN_INFO, hangGuard,
              GetPluginInfoRequest.getDefaultInstance());
          assertEquals("secrets-store.csi.k8s.io", info.getName());
          assertEquals("node-1", ClientCalls.blockingUnaryCall(channel, CsiMethods.NODE_GET_INFO, hangGuard,
              NodeGetInfoRequest.getDefaultInstance()).getNodeId());
        } finally {
          channel.shutdownNow();
        }
      } finally {
        driver.destroy();
        driver.waitFor(60, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Collects the directory's create and delete events until the socket file exists (a hang guard of
   * 3 minutes, for a machine that is badly overloaded), in the order inotify reported them.
   */
  private static List<String> awaitFile(WatchService watch, Path file, Process driver, Path log) throws Exception {
    List<String> events = new ArrayList<>();
    long guard = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!events.contains("create " + file.getFileName())) {
      assertTrue(driver.isAlive(), () -> "the driver exited before serving: " + read(log));
      assertTrue(System.nanoTime() < guard, () -> "no socket file after 3 minutes: " + read(log));
      WatchKey key = watch.poll(1, TimeUnit.SECONDS);
      if (key != null) {
        for (WatchEvent<?> e : key.pollEvents()) {
          events.add((e.kind() == StandardWatchEventKinds.ENTRY_CREATE ? "create " : "delete ") + e.context());
        }
        key.reset();
      }
    }
    return events;
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "(no log)";
    }
  }
}
