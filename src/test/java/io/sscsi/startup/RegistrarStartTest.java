package io.sscsi.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import io.sscsi.testkit.Integration;
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
import io.sscsi.testkit.TestProvider;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubelet's node-driver-registrar waits for the driver's socket file, then calls GetPluginInfo with a
 * 1 s timeout and exits if it gets no answer; kubelet then asks NodeGetInfo. This runs the driver
 * process as the DaemonSet does (its JVM flags, inside a cgroup of the DaemonSet's 200m CPU and
 * 256 MiB) on a cold JVM and makes both calls the moment the socket file appears. The 1 s is the
 * registrar's bound, not a speed target (speed belongs to bench/).
 */
@Integration
class RegistrarStartTest {
  static final long REGISTRAR_TIMEOUT_MS = 1000;

  @TempDir Path dir;

  @Test
  void theFirstCallsOnANewSocketAreAnsweredWithinTheRegistrarsTimeoutAtTwoHundredMilliCpu() throws Exception {
    assumeTrue(Cgroup.available(), "needs root and a cgroup cpu+memory controller");
    Path socket = dir.resolve("plugin/csi.sock");
    Files.createDirectories(socket.getParent());
    warmUpThisJvmsClient();

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
      socket.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
      Process driver = new ProcessBuilder(pod.wrap(command)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      awaitFile(watch, socket, driver, log);

      ManagedChannel channel = UnixChannels.open(socket, 1 << 20);
      try {
        CallOptions registrar = CallOptions.DEFAULT.withDeadlineAfter(REGISTRAR_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        GetPluginInfoResponse info = ClientCalls.blockingUnaryCall(channel, CsiMethods.GET_PLUGIN_INFO, registrar,
            GetPluginInfoRequest.getDefaultInstance());
        assertEquals("secrets-store.csi.k8s.io", info.getName());
        CallOptions kubelet = CallOptions.DEFAULT.withDeadlineAfter(REGISTRAR_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertEquals("node-1", ClientCalls.blockingUnaryCall(channel, CsiMethods.NODE_GET_INFO, kubelet,
            NodeGetInfoRequest.getDefaultInstance()).getNodeId());
      } finally {
        channel.shutdownNow();
        driver.destroy();
        driver.waitFor(60, TimeUnit.SECONDS);
      }
    }
  }

  /** This JVM's own first gRPC call loads classes; that must not count against the driver. */
  private void warmUpThisJvmsClient() throws Exception {
    try (TestProvider provider = TestProvider.start(Files.createDirectories(dir.resolve("warm")), "warm")) {
      ManagedChannel channel = UnixChannels.open(dir.resolve("warm/warm.sock"), 1 << 20);
      try {
        ClientCalls.blockingUnaryCall(channel, CsiMethods.GET_PLUGIN_INFO,
            CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), GetPluginInfoRequest.getDefaultInstance());
      } catch (io.grpc.StatusRuntimeException unimplemented) {
        // a provider serves no CSI Identity: the round trip is what loads the client's classes
      } finally {
        channel.shutdownNow();
      }
    }
  }

  /** Waits for the socket file (a hang guard of 3 minutes, for a machine that is badly overloaded). */
  private static void awaitFile(WatchService watch, Path file, Process driver, Path log) throws Exception {
    long guard = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!Files.exists(file)) {
      assertTrue(driver.isAlive(), () -> "the driver exited before serving: " + read(log));
      assertTrue(System.nanoTime() < guard, () -> "no socket file after 3 minutes: " + read(log));
      WatchKey key = watch.poll(1, TimeUnit.SECONDS);
      if (key != null) {
        key.pollEvents();
        key.reset();
      }
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "(no log)";
    }
  }
}
