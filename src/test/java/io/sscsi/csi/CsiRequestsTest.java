package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.testkit.Requests;
import io.sscsi.volume.PublishRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CsiRequestsTest {

  @Test
  void kubeletsInlineRequestBecomesAPublishRequest() {
    PublishRequest r = CsiRequests.publish(Requests.publish(Path.of("/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/v/mount"),
        "ns", "pod", "u", "spc").putSecrets("k", "v").build());
    assertEquals("spc", r.className());
    assertEquals("ns", r.podNamespace());
    assertEquals("pod", r.podName());
    assertEquals("u", r.podUid());
    assertEquals("v", r.secrets().get("k"));
    assertFalse(r.toString().contains("=v"), "toString hides secret values");
  }

  @ParameterizedTest
  @CsvSource({
      "/var/lib/kubelet/pods/u/mount, true",
      "/a/./b, true",
      "relative, false",
      "/a/../b, false",
      "'', false",
  })
  void targetPathRules(String raw, boolean ok) {
    if (ok) {
      assertTrue(CsiRequests.targetPath(raw).isAbsolute());
    } else {
      DriverException e = assertThrows(DriverException.class, () -> CsiRequests.targetPath(raw));
      assertEquals(FailureKind.INVALID_REQUEST, e.kind());
    }
  }

  @Test
  void tooLongTargetPathIsRefused() {
    assertThrows(DriverException.class, () -> CsiRequests.targetPath("/" + "a".repeat(5000)));
  }
}
