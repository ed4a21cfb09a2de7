package io.sscsi.fs;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;

/**
 * Recursive deletion that never follows a symbolic link (a link is removed, not its target) and
 * never crosses into another filesystem: a directory whose device differs from the starting
 * directory is a nested mount and is refused with an IOException rather than emptied. Entries that
 * vanish while we walk are ignored.
 */
public final class TreeDeleter {
  private TreeDeleter() {}

  /** Deletes {@code root} and everything below it; a missing root is fine. */
  public static void deleteTree(Path root) throws IOException {
    walk(root, false);
  }

  /** Deletes everything inside directory {@code dir} and keeps {@code dir}; missing is fine. */
  static void deleteContents(Path dir) throws IOException {
    walk(dir, true);
  }

  static Object device(Path p) throws IOException {
    return Files.getAttribute(p, "unix:dev", LinkOption.NOFOLLOW_LINKS);
  }

  private static void walk(Path root, boolean keepRoot) throws IOException {
    Files.walkFileTree(
        root,
        EnumSet.noneOf(java.nio.file.FileVisitOption.class),
        Integer.MAX_VALUE,
        new FileVisitor<Path>() {
          private Object rootDevice;

          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            Object dev = device(dir);
            if (rootDevice == null) {
              rootDevice = dev;
            } else if (!rootDevice.equals(dev)) {
              throw new IOException(
                  "refusing to delete inside nested mount point " + PathText.quote(dir));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (!(keepRoot && file.equals(root))) {
              Files.deleteIfExists(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
            if (exc instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw exc;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            if (exc != null) {
              throw exc;
            }
            if (!(keepRoot && dir.equals(root))) {
              Files.deleteIfExists(dir);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
