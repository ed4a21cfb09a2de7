import io.sscsi.cli.SocketClient;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.csi.v1.GetPluginInfoResponse;
import io.sscsi.grpc.UnaryMethods;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Calls CSI Identity GetPluginInfo on a driver socket with the jar's own client code, as
 * node-driver-registrar does once the socket file exists, and prints the answer. Exits 1 when the
 * call fails or the driver does not name itself secrets-store.csi.k8s.io. Run by image-test.sh on
 * any JDK 17 or later, from outside the image, against the jar the image holds:
 *
 * <pre>java -cp ROOTFS/app/sscsi.jar deploy/hack/PluginInfoCheck.java SOCKET [TIMEOUT_SECONDS]</pre>
 */
public class PluginInfoCheck {
  public static void main(String[] args) {
    Path socket = Path.of(args[0]);
    Duration timeout = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 30);
    try (SocketClient driver = SocketClient.open("driver", socket)) {
      GetPluginInfoResponse info = driver.call(
          UnaryMethods.of("csi.v1.Identity", "GetPluginInfo",
              GetPluginInfoRequest.getDefaultInstance(), GetPluginInfoResponse.getDefaultInstance()),
          GetPluginInfoRequest.getDefaultInstance(), timeout);
      System.out.println("GetPluginInfo: name=" + info.getName() + " vendor_version=" + info.getVendorVersion());
      if (!"secrets-store.csi.k8s.io".equals(info.getName()) || info.getVendorVersion().isEmpty()) {
        System.err.println("unexpected GetPluginInfo answer");
        System.exit(1);
      }
    } catch (RuntimeException e) {
      System.err.println("GetPluginInfo failed: " + e.getMessage());
      System.exit(1);
    }
  }
}
