package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * A volume's target path as the kernel sees it. A target is used only when no symbolic link lies on
 * its way: the real path of its deepest existing parent must be that parent's own path, so a
 * symlinked parent directory cannot put the tmpfs (or the secrets) outside kubelet's pods directory.
 * The one exception is the pods directory itself, which an operator may have placed behind a link
 * (e.g. a symlinked {@code /var/lib/kubelet}): it is resolved, and nothing below it may be a link.
 * The target itself must be a directory or absent, never a link. Blocking.
 */
public final class TargetDirectory {
  private TargetDirectory() {}

  /**
   * The real path of {@code target}, after checking that no link lies between {@code podsDir} (when
   * the target is below it, else the root) and the target.
   *
   * @throws DriverException TARGET_NOT_OURS when a parent is a link, TARGET_PATH_FAILED when unreadable
   */
  public static Path resolve(Path target, Optional<Path> podsDir) {
    Path lexical = target.toAbsolutePath().normalize();
    Path existing = lexical.getParent();
    try {
      while (existing.getParent() != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
        existing = existing.getParent();
      }
      Path real = existing.toRealPath();
      Path expected = expectedReal(existing, podsDir);
      if (!real.equals(expected)) {
        throw new DriverException(FailureKind.TARGET_NOT_OURS, "target path " + PathText.quote(lexical)
            + " goes through a symbolic link (" + PathText.quote(existing) + " is " + PathText.quote(real)
            + "): refusing to mount or write there");
      }
      return real.resolve(existing.relativize(lexical));
    } catch (IOException e) {
      throw new DriverException(FailureKind.TARGET_PATH_FAILED,
          "cannot resolve target path " + PathText.quote(lexical) + ": " + PathText.describe(e), e);
    }
  }

  private static Path expectedReal(Path existing, Optional<Path> podsDir) throws IOException {
    if (podsDir.isPresent()) {
      Path pods = podsDir.get().toAbsolutePath().normalize();
      if (existing.startsWith(pods) && Files.exists(pods)) {
        return pods.toRealPath().resolve(pods.relativize(existing));
      }
    }
    return existing;
  }

  /**
   * Creates the real target {@code target} (mode 0750) and its parents when absent.
   *
   * @return true when this call created the target directory
   * @throws DriverException TARGET_NOT_OURS when the target is a link or not a directory,
   *     TARGET_PATH_FAILED when it cannot be created
   */
  public static boolean create(Path target) {
    try {
      Path parent = target.getParent();
      if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) { // kubelet made it: no mkdir that fails EEXIST
        Files.createDirectories(parent);
      }
      Files.createDirectory(target,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
      return true;
    } catch (FileAlreadyExistsException e) {
      requireDirectory(target);
      return false;
    } catch (IOException e) {
      throw new DriverException(FailureKind.TARGET_PATH_FAILED,
          "cannot create target path " + PathText.quote(target) + ": " + PathText.describe(e), e);
    }
  }

  private static void requireDirectory(Path target) {
    try {
      BasicFileAttributes a = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        // mount(2) would follow it and put the tmpfs on the link's destination
        throw new DriverException(FailureKind.TARGET_NOT_OURS, "target path " + PathText.quote(target)
            + " is a symbolic link: refusing to mount through it");
      }
      if (!a.isDirectory()) {
        throw new DriverException(FailureKind.TARGET_NOT_OURS,
            "target path " + PathText.quote(target) + " is not a directory");
      }
    } catch (IOException e) {
      throw new DriverException(FailureKind.TARGET_PATH_FAILED,
          "cannot inspect target path " + PathText.quote(target) + ": " + PathText.describe(e), e);
    }
  }
}
