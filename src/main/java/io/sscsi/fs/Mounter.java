package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Mounts and unmounts the tmpfs that backs a volume. Blocking; implementations throw
 * {@link DriverException} with {@link FailureKind#MOUNT_FAILED}. {@link #isMountPoint} is the
 * cheap heuristic kubelet uses ("likely not a mount point"): a path is a mount point when its
 * device differs from its parent's, so a bind mount of a directory onto the same filesystem is not
 * detected.
 */
public interface Mounter {

  /** Mounts a fresh tmpfs at existing directory {@code target}; {@code 0} means no size limit. */
  void mountTmpfs(Path target, long sizeLimitBytes);

  /** Unmounts everything stacked at {@code target}; a path not mounted or missing is success. */
  void unmount(Path target);

  /**
   * True when {@code target} is on another device than its parent; false when it is missing.
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
