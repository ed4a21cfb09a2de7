package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Tears a volume down for NodeUnpublishVolume: deletes everything inside the target (the payload,
 * {@code ..data} and the timestamped directories) so the secrets leave memory even if the unmount
 * then fails, unmounts every tmpfs stacked there, and removes the directory. Nothing is followed:
 * a symlink inside (or as) the target is removed, never what it points to, and a nested mount is
 * refused rather than emptied. A missing target is success, so the call is idempotent.
 */
public final class TargetDirCleaner {

  /**
   * Cleans up {@code target}.
   *
   * @throws DriverException MOUNT_FAILED when unmounting fails, TARGET_PATH_FAILED when deleting
   */
  public void cleanup(Path target, Mounter mounter) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      throw failed(target, "inspecting", e);
    }
    if (!attrs.isDirectory()) {
      delete(target, false); // a symlink or file where a directory should be: remove it only
      return;
    }
    delete(target, true);
    mounter.unmount(target);
    if (mounter.isMountPoint(target)) {
      throw new DriverException(
          FailureKind.MOUNT_FAILED,
          PathText.quote(target) + " is still a mount point after unmounting it");
    }
    delete(target, false);
  }

  private static void delete(Path target, boolean contentsOnly) {
    try {
      if (contentsOnly) {
        TreeDeleter.deleteContents(target);
      } else {
        TreeDeleter.deleteTree(target);
      }
    } catch (IOException e) {
      throw failed(target, "deleting", e);
    }
  }

  private static DriverException failed(Path target, String action, IOException e) {
    return new DriverException(
        FailureKind.TARGET_PATH_FAILED,
        action + " target " + PathText.quote(target) + " failed: " + PathText.describe(e),
        e);
  }
}
