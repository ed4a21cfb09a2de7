package io.sscsi.fs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: what the mount table says sits at a volume's target path, the one authority on whether the
 * driver may fill or empty it. A tmpfs is ours when it is exactly as the driver (and upstream's
 * driver) mounts it: filesystem type {@code tmpfs}, source {@code tmpfs}, root {@code /}, mounted at
 * exactly the target. Anything else at the target is foreign: a bind mount of another directory (of
 * the same filesystem too, which a device comparison misses), another filesystem type, a bind of a
 * tmpfs's subdirectory (root other than {@code /}). Mounts strictly below the target are nested
 * mounts, whatever sits at the target. Stacked mounts at the target are ours only if every one is.
 * Foreign wins over nested, nested over ours.
 */
public sealed interface TargetOwnership {

  /** Nothing is mounted at or below the target. */
  record Absent() implements TargetOwnership {}

  /** Only our tmpfs is mounted at the target (the topmost of a stack, when stacked), nothing below. */
  record OurTmpfs(MountEntry mount) implements TargetOwnership {}

  /** A mount that is not ours sits at the target: never filled, never emptied. */
  record Foreign(MountEntry mount) implements TargetOwnership {}

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
   * @param table every mount, in the kernel's order
   */
  static TargetOwnership of(Path target, List<MountEntry> table) {
    Path t = target.toAbsolutePath().normalize();
    MountEntry top = null;
    MountEntry foreign = null;
    List<MountEntry> nested = new ArrayList<>();
    for (MountEntry e : table) {
      if (e.mountPoint().equals(t)) {
        top = e;
        if (foreign == null && !isOurTmpfs(e)) {
          foreign = e;
        }
      } else if (e.mountPoint().startsWith(t)) {
        nested.add(e);
      }
    }
    if (foreign != null) {
      return new Foreign(foreign);
    }
    if (!nested.isEmpty()) {
      return new NestedMounts(List.copyOf(nested));
    }
    return top == null ? new Absent() : new OurTmpfs(top);
  }

  /** One line for logs and errors. */
  default String describe() {
    if (this instanceof Foreign f) {
      return "a mount the driver did not make (" + describe(f.mount()) + ")";
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
