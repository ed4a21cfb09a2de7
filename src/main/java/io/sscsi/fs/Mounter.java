package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Mounts and unmounts the tmpfs that backs a volume, and says what is mounted at a target. Blocking;
 * implementations throw {@link DriverException} with {@link FailureKind#MOUNT_FAILED}. Whether a
 * target is ours to fill or empty is decided by {@link #inspect} from the mount table
 * ({@link TargetOwnership}), never by {@link #isMountPoint}, which is only the cheap heuristic
 * kubelet uses and misses a bind mount of a directory of the same filesystem.
 */
public interface Mounter {

  /**
   * Mounts a fresh tmpfs on existing real directory {@code target} (see {@link TargetDirectory}),
   * without following a link at the target; {@code 0} means no size limit. Returns only when the
   * mount landed at exactly {@code target}; otherwise it leaves nothing it mounted behind and throws.
   *
   * @throws DriverException TARGET_NOT_OURS when the target is a link or moved meanwhile,
   *     MOUNT_FAILED when mount(2) fails
   */
  void mountTmpfs(Path target, long sizeLimitBytes);

  /** Unmounts everything stacked at {@code target}; a path not mounted or missing is success. */
  void unmount(Path target);

  /**
   * What is mounted at and below real path {@code target}: one read of the mount table, to be shared
   * by every check of one step.
   *
   * @throws DriverException MOUNT_FAILED when the mount table cannot be read
   */
  default TargetOwnership inspect(Path target) {
    return TargetOwnership.of(target, new MountTable().atOrBelowWithTheirDevices(target));
  }

  /**
   * Whether {@code state} is a volume this mounter makes, so the driver may write into it and empty
   * it: our tmpfs with nothing nested inside.
   */
  default boolean isVolume(TargetOwnership state) {
    return state instanceof TargetOwnership.OurTmpfs;
  }

  /**
   * True when {@code target} is on another device than its parent; false when it is missing. A
   * heuristic (a same-filesystem bind mount is not seen): never used to decide ownership.
   *
   * @throws DriverException TARGET_PATH_FAILED when the path cannot be inspected
   */
  default boolean isMountPoint(Path target) {
    Path abs = target.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    try {
      Object dev = Files.getAttribute(abs, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      if (parent == null) {
        return true; // the root directory
      }
      return !dev.equals(Files.getAttribute(parent, "unix:dev", LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new DriverException(
          FailureKind.TARGET_PATH_FAILED,
          "cannot stat " + PathText.quote(abs) + " for the mount point check: "
              + PathText.describe(e),
          e);
    }
  }
}
