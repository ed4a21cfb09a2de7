package io.sscsi.fs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pure: what the mount table says sits at a volume's target path, the one authority on whether the
 * driver may fill or empty it. A tmpfs is ours when it is exactly as the driver (and upstream's
 * driver) mounts it: filesystem type {@code tmpfs}, source {@code tmpfs}, root {@code /}, mounted at
 * exactly the target. Anything else at the target is foreign: a bind mount of another directory (of
 * the same filesystem too, which a device comparison misses), another filesystem type, a bind of a
 * tmpfs's subdirectory (root other than {@code /}), and a tmpfs whose device is also mounted at another
 * mount point outside the target: a bind of another tmpfs's root has the same type, source and root
 * as ours, but the filesystem it shows is mounted elsewhere too, while the driver's tmpfs is a fresh
 * filesystem mounted only at the target. (A bind whose original mount was since removed, or lives in
 * another mount namespace, shows its device once; {@link JnrMounter} also compares the device it
 * recorded when it mounted the target.) Mounts strictly below the target are nested
 * mounts, whatever sits at the target. Stacked mounts at the target are ours only if every one is.
 * Foreign wins over nested, nested over ours.
 */
public sealed interface TargetOwnership {

  /** Nothing is mounted at or below the target. */
  record Absent() implements TargetOwnership {}

  /** Only our tmpfs is mounted at the target (the topmost of a stack, when stacked), nothing below. */
  record OurTmpfs(MountEntry mount) implements TargetOwnership {}

  /** A mount that is not ours sits at the target: never filled, never emptied. */
  record Foreign(MountEntry mount, Optional<Path> alsoMountedAt) implements TargetOwnership {
    public Foreign(MountEntry mount) {
      this(mount, Optional.empty());
    }
  }

  /** Mounts below the target, in table order: emptying or rewriting the target would reach into them. */
  record NestedMounts(List<MountEntry> nested) implements TargetOwnership {}

  /** Whether {@code entry} is a tmpfs mounted as the driver mounts one (fstype, source and root). */
  static boolean isOurTmpfs(MountEntry entry) {
    return entry.fsType().equals("tmpfs") && entry.source().equals("tmpfs") && entry.root().equals("/");
  }

  /**
   * Decides from a mount table read once.
   *
   * @param target the target's real path (the mount table lists real paths)
   * @param table every mount, in the kernel's order (or those at or below the target and every other
   *     mount of a device mounted at the target: {@link MountTable#atOrBelowWithTheirDevices})
   */
  static TargetOwnership of(Path target, List<MountEntry> table) {
    Path t = target.toAbsolutePath().normalize();
    MountEntry top = null;
    Foreign foreign = null;
    List<MountEntry> nested = new ArrayList<>();
    for (MountEntry e : table) {
      if (e.mountPoint().equals(t)) {
        top = e;
        if (foreign == null && !isOurTmpfs(e)) {
          foreign = new Foreign(e);
        } else if (foreign == null) {
          Optional<Path> elsewhere = mountedElsewhere(e, t, table);
          if (elsewhere.isPresent()) {
            foreign = new Foreign(e, elsewhere);
          }
        }
      } else if (e.mountPoint().startsWith(t)) {
        nested.add(e);
      }
    }
    if (foreign != null) {
      return foreign;
    }
    if (!nested.isEmpty()) {
      return new NestedMounts(List.copyOf(nested));
    }
    return top == null ? new Absent() : new OurTmpfs(top);
  }

  /** Another mount point, neither the target nor below it, where {@code atTarget}'s device is mounted. */
  private static Optional<Path> mountedElsewhere(MountEntry atTarget, Path t, List<MountEntry> table) {
    for (MountEntry e : table) {
      if (e.device().equals(atTarget.device()) && !e.mountPoint().startsWith(t)) {
        return Optional.of(e.mountPoint());
      }
    }
    return Optional.empty();
  }

  /** One line for logs and errors. */
  default String describe() {
    if (this instanceof Foreign f) {
      return "a mount the driver did not make (" + describe(f.mount())
          + f.alsoMountedAt().map(p -> ", the filesystem also mounted at " + PathText.quote(p)).orElse("") + ")";
    }
    if (this instanceof NestedMounts n) {
      StringBuilder b = new StringBuilder("mounts nested inside it (");
      for (int i = 0; i < n.nested().size(); i++) {
        b.append(i == 0 ? "" : ", ").append(describe(n.nested().get(i)));
      }
      return b.append(')').toString();
    }
    return this instanceof OurTmpfs ? "the driver's tmpfs" : "no mount";
  }

  private static String describe(MountEntry e) {
    return PathText.quote(e.mountPoint()) + ": " + e.fsType() + " from " + PathText.quote(e.source())
        + (e.root().equals("/") ? "" : " root " + PathText.quote(e.root()));
  }
}
