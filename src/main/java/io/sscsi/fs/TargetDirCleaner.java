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
 * Tears a volume down (NodeUnpublishVolume, the undo of a failed publish, restart recovery): checks
 * first, then destroys. One read of the mount table ({@link Mounter#inspect}) decides before
 * anything is deleted:
 * <ul>
 *   <li>our volume ({@link Mounter#isVolume}): everything inside is deleted (the payload, {@code ..data},
 *       the timestamped directories) so the secrets leave memory even if the unmount then fails,
 *       every tmpfs stacked there is unmounted and the directory is removed;
 *   <li>mounts nested inside: refused (TARGET_NOT_OURS), nothing deleted, nothing unmounted;
 *   <li>a foreign mount at the target: nothing inside is deleted; it is only detached (unmounted, as
 *       kubelet expects the target unmounted after a successful unpublish) and the directory left
 *       under it is removed only if empty. A bind mount's source keeps its files.
 * </ul>
 * Nothing is followed: a symlink (or file) as the target is removed, never what it points to, and a
 * deletion never crosses into another filesystem ({@link TreeDeleter}). A missing target is success,
 * so the call is idempotent.
 */
public final class TargetDirCleaner {

  /**
   * Cleans up real path {@code target} (see {@link TargetDirectory#resolve}).
   *
   * @throws DriverException TARGET_NOT_OURS when mounts are nested inside (nothing was touched), or
   *     when the target cannot be inspected
   * @throws ContentDeleted when deleting, unmounting or removing the directory failed after the
   *     deletion had started (its error: TARGET_PATH_FAILED or MOUNT_FAILED)
   */
  public void cleanup(Path target, Mounter mounter) {
    if (!isDirectory(target)) {
      return;
    }
    TargetOwnership state = mounter.inspect(target);
    if (state instanceof TargetOwnership.Foreign) {
      mounter.unmount(target);
      removeEmptyDirectory(target);
      return;
    }
    refuseUnlessVolume(target, state, mounter);
    try {
      delete(target, true);
      mounter.unmount(target);
      delete(target, false);
    } catch (RuntimeException e) {
      throw new ContentDeleted(DriverException.of(e));
    }
  }

  /**
   * Undoes only the mount of a failed publish into a directory it did not create: the content is
   * deleted and the tmpfs unmounted, the directory stays. Checks first, as {@link #cleanup}.
   */
  public void unmountOnly(Path target, Mounter mounter) {
    if (!isDirectory(target)) {
      return;
    }
    TargetOwnership state = mounter.inspect(target);
    if (state instanceof TargetOwnership.Absent) {
      return; // nothing mounted: nothing of this publish to undo
    }
    refuseUnlessVolume(target, state, mounter);
    delete(target, true);
    mounter.unmount(target);
  }

  /** False for a missing target; a symlink or file where a directory should be is removed (only it). */
  private static boolean isDirectory(Path target) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw failed(target, "inspecting", e);
    }
    if (!attrs.isDirectory()) {
      delete(target, false);
      return false;
    }
    return true;
  }

  private static void refuseUnlessVolume(Path target, TargetOwnership state, Mounter mounter) {
    if (!mounter.isVolume(state) && !(state instanceof TargetOwnership.Absent)) {
      throw new DriverException(FailureKind.TARGET_NOT_OURS, "refusing to empty " + PathText.quote(target)
          + ": it holds " + state.describe() + "; nothing was deleted");
    }
  }

  private static void removeEmptyDirectory(Path target) {
    try {
      Files.deleteIfExists(target);
    } catch (IOException e) {
      throw failed(target, "removing the directory under the foreign mount at", e);
    }
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
