package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a published volume back as its user sees it (what {@link AtomicWriter} or a provider that
 * writes itself left there): Secret sync projects Secrets from it, the CLI prints it. Blocking; it
 * writes nothing.
 */
public final class MountedFiles {

  /**
   * The files visible in target: relative path (e.g. {@code foo}, {@code dir/bar}) to absolute
   * user-visible path. Names starting with {@code ..} are skipped; a top-level symlink is followed
   * only when it resolves inside target; below that, links are not followed and only regular files
   * are listed.
   *
   * @throws DriverException TARGET_PATH_FAILED when the target cannot be read
   */
  public Map<String, Path> list(Path target) {
    Map<String, Path> out = new TreeMap<>();
    Path absTarget = target.toAbsolutePath();
    try {
      Path realTarget = target.toRealPath();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
        for (Path entry : entries) {
          String name = entry.getFileName().toString();
          if (name.startsWith("..")) {
            continue;
          }
          Path start = entry;
          if (Files.isSymbolicLink(entry)) {
            try {
              start = entry.toRealPath();
            } catch (NoSuchFileException dangling) {
              continue;
            }
            if (!start.startsWith(realTarget) || start.equals(realTarget)) {
              continue;
            }
          }
          Path root = start;
          Files.walkFileTree(
              root,
              new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                  if (attrs.isRegularFile()) {
                    String rel =
                        file.equals(root) ? name : name + "/" + root.relativize(file).toString();
                    out.put(rel, absTarget.resolve(rel));
                  }
                  return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc)
                    throws IOException {
                  if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                  }
                  throw exc;
                }
              });
        }
      }
    } catch (IOException e) {
      throw targetFailed(target, e);
    }
    return out;
  }

  private static DriverException targetFailed(Path target, IOException e) {
    return new DriverException(FailureKind.TARGET_PATH_FAILED,
        "reading target " + PathText.quote(target) + " failed: " + PathText.describe(e), e);
  }
}
