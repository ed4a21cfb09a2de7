package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import io.grpc.Status;
import io.sscsi.errors.DriverException;
import io.sscsi.status.PodStatus;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which publishes a published target accepts: only its own pod's, with its own class. */
class TargetOwnerTest {
  static final Path TARGET = Path.of("/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~csi/v/mount");

  static PublishRequest request(String namespace, String pod, String uid, String className) {
    return new PublishRequest("vol", TARGET, className, pod, namespace, uid, Map.of(), Map.of());
  }

  @ParameterizedTest(name = "{0}/{1} uid {2} class {3}: {4}")
  @CsvSource({
      "ns,    web,   uid-1, spc,   ",
      "other, web,   uid-1, spc,   pod other/web",
      "ns,    db,    uid-1, spc,   pod ns/db",
      "ns,    web,   uid-2, spc,   pod uid uid-2",
      "ns,    web,   uid-1, other, SecretProviderClass other",
      "ns,    db,    uid-2, other, 'pod ns/db, pod uid uid-2, SecretProviderClass other'",
  })
  void onlyTheSamePodAndClassMayPublishAgain(String namespace, String pod, String uid, String className,
      String differs) {
    PublishRequest asked = request(namespace, pod, uid, className);
    PublishRequest first = request("ns", "web", "uid-1", "spc");
    PodStatus status = new PodStatus("web", "ns", "uid-1", "spc", "node-1", TARGET.toString(), Map.of());
    for (TargetOwner owner : new TargetOwner[] {TargetOwner.of(first), TargetOwner.of(status)}) {
      assertEquals(differs == null, owner.owns(asked), owner.toString());
      if (differs != null) {
        DriverException refusal = owner.refusal(TARGET, asked);
        assertEquals(Status.Code.ALREADY_EXISTS, refusal.code(), "CSI: volume published but is incompatible");
        assertEquals("TargetInUse", refusal.errorType());
        assertEquals("target path " + TARGET + " is already published for pod ns/web (uid uid-1) with"
            + " SecretProviderClass spc; refusing a publish for " + differs + " (nothing was changed)",
            refusal.getMessage());
      }
    }
  }
}
