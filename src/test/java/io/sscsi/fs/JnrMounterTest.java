package io.sscsi.fs;

import io.sscsi.testkit.Integration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Integration
class JnrMounterTest {
  @TempDir Path tmp;
  private Path mnt;
  private final JnrMounter mounter = new JnrMounter();
  private final MountTable table = new MountTable();

  @BeforeEach
  void setUp() throws IOException {
    mnt = Files.createDirectory(tmp.resolve("mnt"));
  }

  @AfterEach
  void unmountEverything() {
    mounter.unmount(mnt);
  }

  /** Issue 13 item 7: upstream mounts tmpfs without options, so a workload may execute a mounted file. */
  @Test
  void mountsTmpfsWithoutOptionsAsUpstreamSoMountedFilesRun() throws Exception {
    assertFalse(mounter.isMountPoint(mnt));

    mounter.mountTmpfs(mnt, 0);

    assertTrue(mounter.isMountPoint(mnt));
    List<MountEntry> mounts = table.under(mnt);
    assertEquals(1, mounts.size(), mounts.toString());
    MountEntry m = mounts.get(0);
    assertEquals(mnt.toRealPath(), m.mountPoint());
    assertEquals("tmpfs", m.fsType());
    assertEquals("tmpfs", m.source());
    assertFalse(m.hasMountOption("nosuid"), m.mountOptions());
    assertFalse(m.hasMountOption("nodev"), m.mountOptions());
    assertFalse(m.hasMountOption("noexec"), m.mountOptions());
    assertEquals(01777, (int) Files.getAttribute(mnt, "unix:mode") & 07777, "tmpfs's own default root mode");
    assertEquals(0, runScript(mnt), "a script on the volume runs");
  }

  @Test
  void hardeningIsOptIn() throws Exception {
    JnrMounter hardened = new JnrMounter(TmpfsOptions.parse("nosuid,nodev,noexec,mode=0755"));
    hardened.mountTmpfs(mnt, 0);

    MountEntry m = table.under(mnt).get(0);
    assertTrue(m.hasMountOption("nosuid"), m.mountOptions());
    assertTrue(m.hasMountOption("nodev"), m.mountOptions());
    assertTrue(m.hasMountOption("noexec"), m.mountOptions());
    assertEquals("755", m.superOption("mode").orElseThrow());
    assertEquals(126, runScript(mnt), "noexec: the shell cannot execute it");
  }

  /** Writes an executable script on the volume and runs it; its exit code. */
  private static int runScript(Path dir) throws Exception {
    Path script = dir.resolve("hello.sh");
    Files.writeString(script, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Process p = new ProcessBuilder("/bin/sh", "-c", "'" + script + "'").redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  @Test
  void sizeLimitIsHonoured() throws IOException {
    mounter.mountTmpfs(mnt, 256 * 1024);

    assertEquals("256k", table.under(mnt).get(0).superOption("size").orElseThrow());
    Files.write(mnt.resolve("fits"), new byte[128 * 1024]);
    IOException full =
        assertThrows(IOException.class, () -> Files.write(mnt.resolve("big"), new byte[1 << 20]));
    assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
  }

  @Test
  void unmountTwiceSucceeds() {
    mounter.mountTmpfs(mnt, 0);
    mounter.unmount(mnt);
    assertFalse(mounter.isMountPoint(mnt));
    assertTrue(table.under(mnt).isEmpty());
    mounter.unmount(mnt);
  }

  @Test
  void unmountOfANeverMountedOrMissingPathSucceeds() {
    mounter.unmount(mnt);
    mounter.unmount(tmp.resolve("missing"));
    assertTrue(Files.isDirectory(mnt));
  }

  @Test
  void unmountRemovesStackedMounts() throws IOException {
    mounter.mountTmpfs(mnt, 0);
    mounter.mountTmpfs(mnt, 0);
    mounter.mountTmpfs(mnt, 0);
    assertEquals(3, table.under(mnt).size());

    mounter.unmount(mnt);

    assertTrue(table.under(mnt).isEmpty());
    assertFalse(mounter.isMountPoint(mnt));
  }

  @Test
  void mountOnAMissingDirectoryFailsNamingThePath() {
    Path missing = tmp.resolve("missing");
    DriverException e =
        assertThrows(DriverException.class, () -> mounter.mountTmpfs(missing, 0));
    assertEquals(FailureKind.MOUNT_FAILED, e.kind());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("errno 2"), e.getMessage());
    assertTrue(e.getMessage().contains("(no options)"), e.getMessage());
  }

  @Test
  void isMountPointIsFalseForMissingPathsAndSymlinks() throws IOException {
    assertFalse(mounter.isMountPoint(tmp.resolve("missing")));
    assertTrue(mounter.isMountPoint(Path.of("/")));
    assertTrue(mounter.isMountPoint(Path.of("/proc")));
    mounter.mountTmpfs(mnt, 0);
    Path link = Files.createSymbolicLink(tmp.resolve("link"), mnt);
    assertFalse(mounter.isMountPoint(link), "a symlink to a mount point is not one itself");
  }

  /** Issue 12 item 5: a target swapped for a symbolic link before the mount is refused, never followed. */
  @Test
  void aTargetThatIsALinkIsNotFollowed() throws IOException {
    Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), elsewhere);

    DriverException e = assertThrows(DriverException.class, () -> mounter.mountTmpfs(link, 0));

    assertEquals(FailureKind.TARGET_NOT_OURS, e.kind());
    assertTrue(table.under(tmp).isEmpty(), "nothing mounted on the link's destination");
  }

  /** Issue 12 item 5: a parent reached through a link is refused: the tmpfs would land outside. */
  @Test
  void aTargetWhoseParentIsALinkIsRefused() throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real/mount"));
    Path linkedParent = Files.createSymbolicLink(tmp.resolve("linked"), real.getParent());

    DriverException e = assertThrows(DriverException.class,
        () -> mounter.mountTmpfs(linkedParent.resolve("mount"), 0));

    assertEquals(FailureKind.TARGET_NOT_OURS, e.kind());
    assertTrue(table.under(tmp).isEmpty(), "nothing mounted through the linked parent");
  }

  /**
   * Issue 12 item 5, the race, deterministically: after the target was opened and before mount(2),
   * a racer moves the directory away and puts a link to it in its place. The tmpfs lands on the moved
   * directory (the descriptor's), is found there and unmounted, and the mount is refused; nothing is
   * left mounted anywhere and nothing was mounted through the link.
   */
  @Test
  void aTargetMovedAndReplacedByALinkWhileMountingIsUnmountedWhereItLanded() throws IOException {
    Path moved = tmp.resolve("moved");
    JnrMounter raced = new JnrMounter(TmpfsOptions.NONE, () -> {
      try {
        Files.move(mnt, moved);
        Files.createSymbolicLink(mnt, moved);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });

    DriverException e = assertThrows(DriverException.class, () -> raced.mountTmpfs(mnt, 0));

    assertEquals(FailureKind.TARGET_NOT_OURS, e.kind());
    assertTrue(e.getMessage().contains("moved"), e.getMessage());
    assertTrue(table.under(tmp).isEmpty(), "the tmpfs that landed on the moved directory is unmounted");
    Files.delete(mnt);
    Files.move(moved, mnt);
  }
}
