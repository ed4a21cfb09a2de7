package io.sscsi.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The ownership decision from mount table lines, one row per case the driver meets. */
class TargetOwnershipTest {
  static final Path T = Path.of("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/v/mount");
  static final MountEntry ROOT = entry(1, "/", "ext4", "/dev/sda1", "/");
  static final MountEntry OURS = entry(40, T.toString(), "tmpfs", "tmpfs", "/");
  static final MountEntry OURS_STACKED = entry(41, T.toString(), "tmpfs", "tmpfs", "/");
  static final MountEntry SAME_FS_BIND = entry(42, T.toString(), "ext4", "/dev/sda1", "/srv/data");
  static final MountEntry TMPFS_SUBDIR_BIND = entry(43, T.toString(), "tmpfs", "tmpfs", "/shared/secrets");
  static final MountEntry OTHER_SOURCE_TMPFS = entry(44, T.toString(), "tmpfs", "none", "/");
  static final MountEntry OTHER_FS = entry(45, T.toString(), "nfs", "server:/export", "/");
  static final MountEntry NESTED = entry(46, T + "/nested", "tmpfs", "tmpfs", "/");
  static final MountEntry DEEP_NESTED = entry(47, T + "/a/b", "ext4", "/dev/sda1", "/x");
  static final MountEntry SIBLING = entry(48, T + "-other", "tmpfs", "tmpfs", "/");
  static final MountEntry PARENT = entry(49, T.getParent().toString(), "tmpfs", "tmpfs", "/");
  // another tmpfs, mounted at /srv/shared, its root bound at the target: the same line as ours but for the device
  static final MountEntry OTHER_TMPFS = onDevice("0:90", entry(50, "/srv/shared", "tmpfs", "tmpfs", "/"));
  static final MountEntry OTHER_TMPFS_BOUND = onDevice("0:90", entry(51, T.toString(), "tmpfs", "tmpfs", "/"));
  // our tmpfs bound onto itself, and a bind of it inside itself: the same device, never outside the target
  static final MountEntry OURS_SELF_BIND = onDevice(OURS.device(), entry(52, T.toString(), "tmpfs", "tmpfs", "/"));
  static final MountEntry OURS_BOUND_INSIDE = onDevice(OURS.device(), entry(53, T + "/in", "tmpfs", "tmpfs", "/"));

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("nothing mounted", List.of(ROOT), new TargetOwnership.Absent()),
        Arguments.of("a mount on the parent only", List.of(ROOT, PARENT), new TargetOwnership.Absent()),
        Arguments.of("a sibling with the same prefix", List.of(ROOT, SIBLING), new TargetOwnership.Absent()),
        Arguments.of("our tmpfs", List.of(ROOT, OURS), new TargetOwnership.OurTmpfs(OURS)),
        Arguments.of("our tmpfs stacked twice: the top one", List.of(ROOT, OURS, OURS_STACKED),
            new TargetOwnership.OurTmpfs(OURS_STACKED)),
        Arguments.of("a bind mount of a same-filesystem directory", List.of(ROOT, SAME_FS_BIND),
            new TargetOwnership.Foreign(SAME_FS_BIND)),
        Arguments.of("a bind of a tmpfs subdirectory", List.of(ROOT, TMPFS_SUBDIR_BIND),
            new TargetOwnership.Foreign(TMPFS_SUBDIR_BIND)),
        Arguments.of("a tmpfs with another source", List.of(ROOT, OTHER_SOURCE_TMPFS),
            new TargetOwnership.Foreign(OTHER_SOURCE_TMPFS)),
        Arguments.of("another filesystem type", List.of(ROOT, OTHER_FS), new TargetOwnership.Foreign(OTHER_FS)),
        Arguments.of("a foreign mount stacked on ours", List.of(ROOT, OURS, SAME_FS_BIND),
            new TargetOwnership.Foreign(SAME_FS_BIND)),
        Arguments.of("ours stacked on a foreign mount", List.of(ROOT, SAME_FS_BIND, OURS),
            new TargetOwnership.Foreign(SAME_FS_BIND)),
        Arguments.of("our tmpfs with a mount nested inside", List.of(ROOT, OURS, NESTED, DEEP_NESTED),
            new TargetOwnership.NestedMounts(List.of(NESTED, DEEP_NESTED))),
        Arguments.of("a nested mount under an unmounted target", List.of(ROOT, NESTED),
            new TargetOwnership.NestedMounts(List.of(NESTED))),
        Arguments.of("foreign wins over nested", List.of(ROOT, OTHER_FS, NESTED), new TargetOwnership.Foreign(OTHER_FS)),
        Arguments.of("a bind of another tmpfs's root", List.of(ROOT, OTHER_TMPFS, OTHER_TMPFS_BOUND),
            new TargetOwnership.Foreign(OTHER_TMPFS_BOUND, Optional.of(OTHER_TMPFS.mountPoint()))),
        Arguments.of("a bind of another tmpfs's root, listed before its original", List.of(ROOT, OTHER_TMPFS_BOUND, OTHER_TMPFS),
            new TargetOwnership.Foreign(OTHER_TMPFS_BOUND, Optional.of(OTHER_TMPFS.mountPoint()))),
        Arguments.of("a bind of another tmpfs's root stacked on ours", List.of(ROOT, OTHER_TMPFS, OURS, OTHER_TMPFS_BOUND),
            new TargetOwnership.Foreign(OTHER_TMPFS_BOUND, Optional.of(OTHER_TMPFS.mountPoint()))),
        Arguments.of("our tmpfs bound onto itself", List.of(ROOT, OURS, OURS_SELF_BIND),
            new TargetOwnership.OurTmpfs(OURS_SELF_BIND)),
        Arguments.of("our tmpfs bound inside itself: nested, not foreign", List.of(ROOT, OURS, OURS_BOUND_INSIDE),
            new TargetOwnership.NestedMounts(List.of(OURS_BOUND_INSIDE))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decides(String name, List<MountEntry> table, TargetOwnership expected) {
    assertEquals(expected, TargetOwnership.of(T, table));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decidesFromRealMountinfoLines(String name, List<MountEntry> table, TargetOwnership expected) {
    assertEquals(expected, TargetOwnership.of(T, MountTable.parse(text(table))));
  }

  private static String text(List<MountEntry> table) {
    StringBuilder text = new StringBuilder();
    for (MountEntry e : table) {
      text.append(e.mountId()).append(' ').append(e.parentId()).append(' ').append(e.device()).append(' ')
          .append(e.root()).append(' ').append(e.mountPoint()).append(" rw,relatime - ").append(e.fsType())
          .append(' ').append(e.source()).append(" rw\n");
    }
    return text.toString();
  }

  private static MountEntry onDevice(String device, MountEntry e) {
    return new MountEntry(e.mountId(), e.parentId(), device, e.root(), e.mountPoint(), e.mountOptions(), e.fsType(),
        e.source(), e.superOptions());
  }

  /** The driver's own read: only the lines at or below the target and those of its devices are parsed. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decidesFromTheLinesTheDriverParses(String name, List<MountEntry> table, TargetOwnership expected) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("mountinfo", "");
    try {
      java.nio.file.Files.writeString(file, text(table));
      assertEquals(expected, TargetOwnership.of(T, new MountTable(file).atOrBelowWithTheirDevices(T)));
    } finally {
      java.nio.file.Files.delete(file);
    }
  }

  private static MountEntry entry(int id, String mountPoint, String fsType, String source, String root) {
    return new MountEntry(id, 1, "0:" + id, root, Path.of(mountPoint), "rw,relatime", fsType, source, "rw");
  }
}
