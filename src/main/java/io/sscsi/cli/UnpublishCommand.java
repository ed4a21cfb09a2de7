package io.sscsi.cli;

import io.sscsi.csi.CsiMethods;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sscsi unpublish}: plays kubelet tearing a volume down. Sends NodeUnpublishVolume for one
 * target path to a driver's CSI socket and prints the outcome. A failure prints exactly one line,
 * {@code sscsi unpublish: <status code>: <message>}, and exits 1; a usage error exits 2.
 */
@Command(name = "unpublish", mixinStandardHelpOptions = true,
    description = "Call NodeUnpublishVolume on a driver as kubelet does when a pod goes away")
public final class UnpublishCommand implements Callable<Integer> {

  @Option(names = "--endpoint", defaultValue = "unix:///tmp/csi.sock", converter = SocketEndpoint.class,
      description = "the driver's CSI socket (default: ${DEFAULT-VALUE})")
  Path socket;

  @Option(names = "--target", required = true, paramLabel = "DIR", description = "the volume's target path")
  Path target;

  @Option(names = "--volume-id", paramLabel = "ID", description = "volume handle (default: as publish derives it from the target path, kubelet's csi-<sha256(pod uid + volume name)>)")
  String volumeId;

  @Mixin
  KubeletCall call;

  @Override
  public Integer call() {
    PrintWriter out = call.out();
    PrintWriter err = call.err();
    Path abs = target.toAbsolutePath().normalize();
    String id = volumeId != null ? volumeId : KubeletRequests.volumeHandle(abs);
    try (SocketClient driver = SocketClient.open("driver", socket)) {
      driver.call(CsiMethods.NODE_UNPUBLISH, KubeletRequests.unpublish(id, abs), call.deadline());
    } catch (CliFailure f) {
      err.println(f.line("unpublish"));
      return 1;
    }
    out.println("unpublished " + abs);
    out.flush();
    return 0;
  }
}
