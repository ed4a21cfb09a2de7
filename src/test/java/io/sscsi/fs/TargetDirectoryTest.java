package io.sscsi.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12 item 5: which target paths the driver uses, from real directories and links (no root needed). */
class TargetDirectoryTest {
  @TempDir Path tmp;
  private Path pods;
  private Path target;

  @BeforeEach
  void setUp() throws IOException {
    tmp = tmp.toRealPath();
    pods = Files.createDirectories(tmp.resolve("kubelet/pods"));
    target = pods.resolve("uid/volumes/kubernetes.io~csi/v/mount");
  }

  @Test
  void aPathWithoutLinksIsItsOwnRealPathAlsoWhenItsParentsAreMissing() {
    assertEquals(target, TargetDirectory.resolve(target, Optional.of(pods)));
    assertEquals(target, TargetDirectory.resolve(target, Optional.empty()));
  }

  @Test
  void aSymlinkedParentBelowThePodsDirectoryIsRefused() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.createDirectories(target.getParent().getParent());
    Files.createSymbolicLink(target.getParent(), outside);

    DriverException e = assertThrows(DriverException.class, () -> TargetDirectory.resolve(target, Optional.of(pods)));

    assertEquals(FailureKind.TARGET_NOT_OURS, e.kind());
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void aPodsDirectoryBehindALinkIsResolvedAndNothingBelowItMayBeALink() throws IOException {
    Path realKubelet = Files.createDirectories(tmp.resolve("data/kubelet"));
    Path realPods = Files.createDirectories(realKubelet.resolve("pods"));
    Path linkedKubelet = Files.createSymbolicLink(tmp.resolve("var-lib-kubelet"), realKubelet);
    Path linkedPods = linkedKubelet.resolve("pods");
    Path linkedTarget = linkedPods.resolve("uid/volumes/kubernetes.io~csi/v/mount");

    assertEquals(realPods.resolve("uid/volumes/kubernetes.io~csi/v/mount"),
        TargetDirectory.resolve(linkedTarget, Optional.of(linkedPods)), "an operator's symlinked kubelet directory");
    assertThrows(DriverException.class, () -> TargetDirectory.resolve(linkedTarget, Optional.empty()),
        "without the pods directory to trust, any link is refused");

    Files.createDirectories(realPods.resolve("uid/volumes"));
    Files.createSymbolicLink(realPods.resolve("uid/volumes/kubernetes.io~csi"), tmp);
    DriverException e = assertThrows(DriverException.class,
        () -> TargetDirectory.resolve(linkedTarget, Optional.of(linkedPods)));
    assertEquals(FailureKind.TARGET_NOT_OURS, e.kind());
  }

  @Test
  void createMakesTheDirectoryOnceAndRefusesALinkOrAFile() throws IOException {
    assertTrue(TargetDirectory.create(target));
    assertFalse(TargetDirectory.create(target), "already there");
    assertEquals("rwxr-x---", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(target)));

    Path link = Files.createSymbolicLink(target.resolveSibling("link"), tmp);
    assertEquals(FailureKind.TARGET_NOT_OURS,
        assertThrows(DriverException.class, () -> TargetDirectory.create(link)).kind());
    Path file = Files.writeString(target.resolveSibling("file"), "x");
    assertEquals(FailureKind.TARGET_NOT_OURS,
        assertThrows(DriverException.class, () -> TargetDirectory.create(file)).kind());
  }
}
