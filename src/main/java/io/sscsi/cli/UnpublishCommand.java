package io.sscsi.cli;

import io.sscsi.csi.CsiMethods;
import io.sscsi.grpc.UnixChannels;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sscsi unpublish}: plays kubelet tearing a volume down. Sends NodeUnpublishVolume for one
 * target path to a driver's CSI socket and prints the outcome. A failure prints exactly one line,
 * {@code sscsi unpublish: <status code>: <message>}, and exits 1; a usage error exits 2.
 */
@Command(name = "unpublish", mixinStandardHelpOptions = true,
    description = "Call NodeUnpublishVolume on a driver as kubelet does when a pod goes away")
public final class UnpublishCommand implements Callable<Integer> {

  @Option(names = "--endpoint", defaultValue = "unix:///tmp/csi.sock", description = "the driver's CSI socket (default: ${DEFAULT-VALUE})")
  String endpoint;

  @Option(names = "--target", required = true, paramLabel = "DIR", description = "the volume's target path")
  Path target;

  @Option(names = "--volume-id", paramLabel = "ID", description = "volume handle (default: csi-<sha256(target)>; the driver keys volumes by target)")
  String volumeId;

  @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS", description = "call deadline (default: ${DEFAULT-VALUE}, kubelet's)")
  int timeoutSeconds;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path socket;
    try {
      socket = UnixChannels.socketPath(endpoint);
    } catch (IllegalArgumentException e) {
      err.println("sscsi unpublish: " + e.getMessage());
      return 2;
    }
    Path abs = target.toAbsolutePath().normalize();
    String id = volumeId != null ? volumeId : "csi-" + KubeletRequests.sha256(abs.toString());
    try (SocketClient driver = SocketClient.open("driver", socket)) {
      driver.call(CsiMethods.NODE_UNPUBLISH, KubeletRequests.unpublish(id, abs), Duration.ofSeconds(timeoutSeconds));
    } catch (CliFailure f) {
      err.println(f.line("unpublish"));
      return 1;
    }
    out.println("unpublished " + abs);
    out.flush();
    return 0;
  }
}
