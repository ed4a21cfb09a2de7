package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Shared by the bad-input corpus and the security tests: a snapshot of a directory tree (every
 * entry's type, permissions, and for files a digest of the content, for links their target; links
 * are never followed) to prove that nothing outside a target changed, and mount checks.
 */
final class BadInputCorpusSupport {
  private BadInputCorpusSupport() {}

  /**
   * Every entry under {@code root} (relative path to a description), skipping {@code excluded}
   * and everything below it. Directory timestamps are left out: creating and removing an entry
   * changes them without changing the tree.
   */
  static Map<String, String> snapshot(Path root, Path... excluded) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (isExcluded(p, excluded)) {
          continue;
        }
        out.put(root.relativize(p).toString(), describe(p));
      }
    }
    return out;
  }

  private static boolean isExcluded(Path p, Path[] excluded) {
    for (Path e : excluded) {
      if (p.startsWith(e)) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Path p) throws IOException {
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    String perms = PosixFilePermissions.toString(a.permissions());
    if (a.isSymbolicLink()) {
      return "link -> " + Files.readSymbolicLink(p);
    }
    if (a.isDirectory()) {
      return "dir " + perms;
    }
    if (a.isRegularFile()) {
      return "file " + perms + " " + a.size() + " " + digest(Files.readAllBytes(p));
    }
    return "other " + perms;
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Every mount at or below {@code dir}. */
  static List<MountEntry> mountsUnder(Path dir) {
    return new MountTable().under(dir);
  }

  /** Fails when anything is mounted at or below any of {@code dirs}. */
  static void assertNothingMounted(Path... dirs) {
    for (Path d : dirs) {
      assertEquals(List.of(), mountsUnder(d), "no mount under " + d);
    }
  }

  /** Deletes {@code dir} and everything below it without following links; missing is fine. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
