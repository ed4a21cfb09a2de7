package io.sscsi.cli;

import io.grpc.Status;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginCapabilitiesRequest;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.csi.v1.NodeGetCapabilitiesRequest;
import io.sscsi.csi.v1.NodeGetInfoRequest;
import io.sscsi.csi.v1.ProbeRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sscsi cycles} (hidden): plays kubelet for {@code --count} pod volumes one after another in
 * one JVM, for the AOT training run ({@code deploy/hack/aot-train.sh}). Waits until the driver
 * answers GetPluginInfo, makes the registration calls once (Probe, GetPluginCapabilities,
 * NodeGetInfo, NodeGetCapabilities), then per volume NodePublishVolume, the same publish again (kubelet
 * republishes) and NodeUnpublishVolume, with the requests of {@link KubeletRequests} and target paths
 * laid out as kubelet's under {@code --target-dir}. Exits 0 after the last cycle; the first failure
 * prints one line, {@code sscsi cycles: <status code>: <message>}, and exits 1.
 */
@Command(name = "cycles", hidden = true, mixinStandardHelpOptions = true,
    description = "Publish, republish and unpublish N pod volumes one after another (AOT training)")
public final class CyclesCommand implements Callable<Integer> {
  private static final Duration CALL = Duration.ofSeconds(120);

  @Option(names = "--endpoint", required = true, converter = SocketEndpoint.class, description = "the driver's CSI socket")
  Path socket;

  @Option(names = "--target-dir", required = true, paramLabel = "DIR", description = "kubelet's pods directory to lay targets under")
  Path targetDir;

  @Option(names = "--class", required = true, paramLabel = "SPC")
  String className;

  @Option(names = "--namespace", required = true, paramLabel = "NS")
  String namespace;

  @Option(names = "--count", defaultValue = "30")
  int count;

  @Option(names = "--wait", defaultValue = "300", paramLabel = "SECONDS",
      description = "how long to wait for GetPluginInfo to answer (default: ${DEFAULT-VALUE})")
  int waitSeconds;

  @Override
  public Integer call() throws InterruptedException {
    try (SocketClient driver = awaitDriver(socket)) {
      driver.call(CsiMethods.PROBE, ProbeRequest.getDefaultInstance(), CALL);
      driver.call(CsiMethods.GET_PLUGIN_CAPABILITIES, GetPluginCapabilitiesRequest.getDefaultInstance(), CALL);
      driver.call(CsiMethods.NODE_GET_INFO, NodeGetInfoRequest.getDefaultInstance(), CALL);
      for (int i = 1; i <= count; i++) {
        String uid = String.format("00000000-0000-4000-8000-%012d", i);
        Path target = targetDir.toAbsolutePath().resolve(uid).resolve("volumes/kubernetes.io~csi/secrets/mount");
        String id = KubeletRequests.volumeHandle(uid, "secrets");
        var publish = KubeletRequests.publish(target, id, className,
            new KubeletRequests.Pod("cycles-" + i, namespace, uid, "default"), Optional.empty());
        driver.call(CsiMethods.NODE_GET_CAPABILITIES, NodeGetCapabilitiesRequest.getDefaultInstance(), CALL);
        driver.call(CsiMethods.NODE_PUBLISH, publish, CALL);
        driver.call(CsiMethods.NODE_PUBLISH, publish, CALL);
        driver.call(CsiMethods.NODE_UNPUBLISH, KubeletRequests.unpublish(id, target), CALL);
      }
    } catch (CliFailure f) {
      System.err.println(f.line("cycles"));
      return 1;
    }
    System.out.println(count + " publish/republish/unpublish cycles on unix://" + socket);
    return 0;
  }

  /** A client once GetPluginInfo answers (the socket file may exist before it does). */
  private SocketClient awaitDriver(Path socket) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
    while (true) {
      try {
        SocketClient client = SocketClient.open("driver", socket);
        try {
          client.call(CsiMethods.GET_PLUGIN_INFO, GetPluginInfoRequest.getDefaultInstance(), Duration.ofSeconds(1));
          return client;
        } catch (CliFailure f) {
          client.close();
          throw f;
        }
      } catch (CliFailure f) {
        boolean retry = f.code() == Status.Code.UNAVAILABLE || f.code() == Status.Code.DEADLINE_EXCEEDED;
        if (!retry || System.nanoTime() > deadline) {
          throw f;
        }
        Thread.sleep(100);
      }
    }
  }
}
