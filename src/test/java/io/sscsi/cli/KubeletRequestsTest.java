package io.sscsi.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.csi.CsiRequests;
import io.sscsi.csi.v1.NodePublishVolumeRequest;
import io.sscsi.csi.v1.VolumeCapability;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The requests the CLI sends are kubelet's for an inline volume, field by field. */
class KubeletRequestsTest {
  static final KubeletRequests.Pod POD = new KubeletRequests.Pod("web-1", "team-a", "uid-1", "sa-1");

  @Test
  void volumeHandleIsKubeletsSha256OfPodUidAndVolumeName() {
    // printf 'uid-1secrets' | sha256sum
    assertEquals("csi-a6c970caee5cd8f948b03753322bb4387a975639a79681246d20295ab31080fb",
        KubeletRequests.volumeHandle("uid-1", "secrets"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/secrets/mount, secrets",
      "/tmp/demo-mount, demo-mount",
      "/mount, mount",
  })
  void volumeNameFollowsKubeletsLayout(String target, String name) {
    assertEquals(name, KubeletRequests.volumeName(Path.of(target)));
  }

  @Test
  void publishIsKubeletsInlineVolumeRequest() {
    NodePublishVolumeRequest r = KubeletRequests.publish(Path.of("/t/mount"), "csi-x", "db", POD, Optional.empty());
    assertEquals("csi-x", r.getVolumeId());
    assertEquals("/t/mount", r.getTargetPath());
    assertTrue(r.getReadonly());
    assertEquals("", r.getStagingTargetPath());
    assertEquals(0, r.getSecretsCount());
    assertEquals(0, r.getPublishContextCount());
    assertEquals(VolumeCapability.AccessTypeCase.MOUNT, r.getVolumeCapability().getAccessTypeCase());
    assertEquals("", r.getVolumeCapability().getMount().getFsType());
    assertEquals(0, r.getVolumeCapability().getMount().getMountFlagsCount());
    assertEquals(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER, r.getVolumeCapability().getAccessMode().getMode());
    assertEquals(Map.of(
        "secretProviderClass", "db",
        "csi.storage.k8s.io/pod.name", "web-1",
        "csi.storage.k8s.io/pod.namespace", "team-a",
        "csi.storage.k8s.io/pod.uid", "uid-1",
        "csi.storage.k8s.io/serviceAccount.name", "sa-1",
        "csi.storage.k8s.io/ephemeral", "true"), r.getVolumeContextMap());
    assertEquals("db", CsiRequests.publish(r).className(), "the driver accepts it");
  }

  @Test
  void tokensGoIntoTheVolumeContextAndAreCheckedForShape() {
    String tokens = "{\"vault\":{\"token\":\"t\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}";
    NodePublishVolumeRequest r = KubeletRequests.publish(Path.of("/t"), "v", "db", POD, PublishCommand.tokens(tokens));
    assertEquals(tokens, r.getVolumeContextOrThrow("csi.storage.k8s.io/serviceAccount.tokens"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PublishCommand.tokens("[\"s3cr3t\"]"));
    assertFalse(e.getMessage().contains("s3cr3t"));
    assertThrows(IllegalArgumentException.class, () -> PublishCommand.tokens("{not json"));
  }

  @Test
  void unpublishCarriesVolumeIdAndTarget() {
    var r = KubeletRequests.unpublish("csi-x", Path.of("/t/mount"));
    assertEquals("csi-x", r.getVolumeId());
    assertEquals("/t/mount", r.getTargetPath());
    // printf '/a/b' | sha256sum
    assertEquals("662b7b62a798bb2d53e67cad9778e12e48297c79eae98d3aae7197be825d768f", KubeletRequests.sha256("/a/b"));
  }
}
