package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KubeletTargetPathTest {
  @ParameterizedTest
  @CsvSource({
      "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/secrets/mount, /var/lib/kubelet/pods, u1, secrets",
      "/data/k/pods/abc-123/volumes/kubernetes.io~csi/v/mount, /data/k/pods, abc-123, v",
      "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/secrets, , , ",
      "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/secrets/mount, , , ",
      "/var/lib/kubelet/pods/../u1/volumes/kubernetes.io~csi/v/mount, , , ",
      "/tmp/csi/mount, , , ",
  })
  void parsesKubeletsLayoutOnly(String target, String podsDir, String uid, String volume) {
    var parsed = KubeletTargetPath.parse(Path.of(target));
    if (uid == null) {
      assertTrue(parsed.isEmpty(), target);
    } else {
      assertEquals(new KubeletTargetPath(Path.of(podsDir), uid, volume), parsed.orElseThrow());
    }
  }
}
