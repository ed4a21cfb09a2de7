package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Publishes a payload into a volume directory the way kubelet publishes secret volumes: files go
 * into a fresh hidden directory {@code ..yyyy_MM_dd_HH_mm_ss.<random>} (UTC), the symlink
 * {@code ..data} is switched to it with one atomic rename, and each top-level name is a relative
 * symlink {@code <name> -> ..data/<name>}, so readers see either the old or the new payload, never
 * a mix. A payload identical to what is published (bytes, modes, no stale names) leaves the disk
 * untouched, so the target's mtime keeps meaning "last change". Entries planted by someone else at
 * a top-level name are removed without being followed; every deletion walks with NOFOLLOW_LINKS.
 * It does not read the mount table: the caller first checks that the target is its volume with no
 * mount nested inside ({@link Mounter#inspect}), as a nested mount at a top-level name would
 * otherwise be emptied. Blocking; calls for one target must be serialized by the caller. Reading a
 * published volume back is {@link MountedFiles}'s job.
 */
public final class AtomicWriter {
  static final String DATA_LINK = "..data";
  static final String DATA_TMP_LINK = "..data_tmp";
  static final Pattern TIMESTAMP_DIR =
      Pattern.compile("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.[0-9A-Za-z]+");
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("uuuu_MM_dd_HH_mm_ss").withZone(ZoneOffset.UTC);
  private static final Set<PosixFilePermission> DIR_MODE = toPermissions(0755);
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
      PosixFilePermissions.asFileAttribute(toPermissions(0600));
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIR =
      PosixFilePermissions.asFileAttribute(toPermissions(0700));

  /**
   * Publishes {@code files} into existing directory {@code target}.
   *
   * @return true when something on disk changed, false when the payload was already published
   * @throws DriverException PROVIDER_BAD_PAYLOAD for a payload rule violation, TARGET_PATH_FAILED
   *     when target is not a directory, WRITE_FAILED when writing fails
   */
  public boolean write(Path target, List<PayloadFile> files) {
    return write(target, CheckedPayload.of(files));
  }

  /**
   * Publishes a payload that already passed the payload rules into existing directory {@code target}.
   *
   * @return true when something on disk changed, false when the payload was already published
   * @throws DriverException TARGET_PATH_FAILED when target is not a directory, WRITE_FAILED when writing fails
   */
  public boolean write(Path target, CheckedPayload payload) {
    List<PayloadFile> files = payload.files();
    requireDirectory(target);
    Set<String> topNames = topNames(files);
    try {
      Optional<String> current = currentDataDir(target);
      if (current.isPresent() && isPublished(target, current.get(), files, topNames)) {
        return false;
      }
      String newDir = createTimestampDir(target);
      try {
        writeFiles(target.resolve(newDir), files);
      } catch (IOException | RuntimeException e) {
        deleteQuietly(target.resolve(newDir));
        throw e;
      }
      linkTopLevelNames(target, topNames);
      switchDataLink(target, newDir);
      removeStaleEntries(target, topNames, newDir);
      return true;
    } catch (IOException e) {
      throw new DriverException(
          FailureKind.WRITE_FAILED,
          "writing "
              + files.size()
              + " files into "
              + PathText.quote(target)
              + " failed: "
              + PathText.describe(e),
          e);
    }
  }

  /**
   * Publishes a checked payload into {@code target}, an empty tmpfs this process has just mounted
   * there: it trusts the directory to be empty, so it makes no existence or stale-entry checks
   * (no listing, no link reads) and creates {@code ..data} directly, as nothing can read the volume
   * before the publish returns. Should something be there after all (a provider that also wrote into
   * the target), it falls back to {@link #write(Path, CheckedPayload)}, which replaces it.
   *
   * @throws DriverException as {@link #write(Path, CheckedPayload)}
   */
  public boolean writeFresh(Path target, CheckedPayload payload) {
    List<PayloadFile> files = payload.files();
    Set<String> topNames = topNames(files);
    try {
      String newDir = createTimestampDir(target);
      writeFiles(target.resolve(newDir), files);
      for (String name : topNames) {
        Files.createSymbolicLink(target.resolve(name), Path.of(DATA_LINK, name));
      }
      Files.createSymbolicLink(target.resolve(DATA_LINK), Path.of(newDir));
      return true;
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return write(target, payload); // not empty after all: the careful way (it removes what this left)
    } catch (IOException e) {
      throw new DriverException(FailureKind.WRITE_FAILED, "writing " + files.size() + " files into "
          + PathText.quote(target) + " failed: " + PathText.describe(e), e);
    }
  }

  private static Set<String> topNames(List<PayloadFile> files) {
    Set<String> topNames = new LinkedHashSet<>();
    for (PayloadFile f : files) {
      int slash = f.path().indexOf('/');
      topNames.add(slash < 0 ? f.path() : f.path().substring(0, slash));
    }
    return topNames;
  }

  /**
   * The name of the timestamped directory {@code ..data} points to, if it is a real directory
   * directly inside target; empty when nothing was published (or ..data is not ours).
   *
   * @throws DriverException TARGET_PATH_FAILED when the target cannot be read
   */
  public Optional<String> currentDataDir(Path target) {
    String link;
    try {
      link = Files.readSymbolicLink(target.resolve(DATA_LINK)).toString();
    } catch (NoSuchFileException | NotLinkException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw targetFailed(target, e);
    }
    if (!link.startsWith("..")
        || link.equals("..")
        || link.indexOf('/') >= 0
        || link.equals(DATA_LINK)
        || link.equals(DATA_TMP_LINK)
        || !Files.isDirectory(target.resolve(link), LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return Optional.of(link);
  }

  private boolean isPublished(
      Path target, String current, List<PayloadFile> files, Set<String> topNames)
      throws IOException {
    Path dataDir = target.resolve(current);
    Set<String> expected = new HashSet<>();
    for (PayloadFile f : files) {
      expected.add(f.path());
      for (int i = f.path().indexOf('/'); i >= 0; i = f.path().indexOf('/', i + 1)) {
        expected.add(f.path().substring(0, i));
      }
      Path p = dataDir.resolve(f.path());
      PosixFileAttributes attrs;
      try {
        attrs =
            Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return false;
      }
      if (!attrs.isRegularFile()
          || toMode(attrs.permissions()) != f.mode()
          || attrs.size() != f.size()
          || !Arrays.equals(Files.readAllBytes(p), f.rawContents())) {
        return false;
      }
    }
    Set<String> present = new HashSet<>();
    Files.walkFileTree(
        dataDir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (!dir.equals(dataDir)) {
              present.add(slashes(dataDir.relativize(dir)));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            present.add(slashes(dataDir.relativize(file)));
            return FileVisitResult.CONTINUE;
          }
        });
    if (!present.equals(expected)) {
      return false;
    }
    for (String name : topNames) {
      if (!isOurLink(target.resolve(name), name)) {
        return false;
      }
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.startsWith("..") && !topNames.contains(name) && isOurLink(entry, name)) {
          return false;
        }
      }
    }
    return true;
  }

  private String createTimestampDir(Path target) throws IOException {
    for (int attempt = 0; ; attempt++) {
      String name =
          ".."
              + TIMESTAMP.format(Instant.now())
              + "."
              + Integer.toUnsignedString(ThreadLocalRandom.current().nextInt());
      Path dir = target.resolve(name);
      try {
        Files.createDirectory(dir, PRIVATE_DIR);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (attempt < 100) {
          continue;
        }
        throw e;
      }
      Files.setPosixFilePermissions(dir, DIR_MODE);
      return name;
    }
  }

  private static void writeFiles(Path dataDir, List<PayloadFile> files) throws IOException {
    for (PayloadFile f : files) {
      Path file = dataDir.resolve(f.path());
      String[] elements = f.path().split("/");
      Path dir = dataDir;
      for (int i = 0; i < elements.length - 1; i++) {
        dir = dir.resolve(elements[i]);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectory(dir, PRIVATE_DIR);
          Files.setPosixFilePermissions(dir, DIR_MODE);
        }
      }
      try (SeekableByteChannel ch =
          Files.newByteChannel(
              file,
              Set.<OpenOption>of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PRIVATE_FILE)) {
        ByteBuffer buf = ByteBuffer.wrap(f.rawContents());
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      Files.setPosixFilePermissions(file, toPermissions(f.mode()));
    }
  }

  /** Makes each {@code target/<name>} our symlink, removing (not following) whatever was there. */
  private static void linkTopLevelNames(Path target, Set<String> topNames) throws IOException {
    for (String name : topNames) {
      Path visible = target.resolve(name);
      if (isOurLink(visible, name)) {
        continue;
      }
      TreeDeleter.deleteTree(visible);
      Files.createSymbolicLink(visible, Path.of(DATA_LINK, name));
    }
  }

  private static void switchDataLink(Path target, String newDir) throws IOException {
    Path tmp = target.resolve(DATA_TMP_LINK);
    TreeDeleter.deleteTree(tmp);
    Files.createSymbolicLink(tmp, Path.of(newDir));
    Path data = target.resolve(DATA_LINK);
    if (Files.exists(data, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(data)) {
      TreeDeleter.deleteTree(data);
    }
    // rename(2): replaces the old ..data link itself in one step, never what it points to.
    Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * One listing of target after the switch: removes our links to names the payload no longer has,
   * and every timestamped directory but the new one (the previous one and crash leftovers).
   */
  private static void removeStaleEntries(Path target, Set<String> topNames, String keep) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.startsWith("..")) {
          if (!topNames.contains(name) && isOurLink(entry, name)) {
            Files.deleteIfExists(entry);
          }
        } else if (!name.equals(keep) && TIMESTAMP_DIR.matcher(name).matches()) {
          TreeDeleter.deleteTree(entry);
        }
      }
    }
  }

  private static boolean isOurLink(Path entry, String name) throws IOException {
    if (!Files.isSymbolicLink(entry)) {
      return false;
    }
    try {
      return Files.readSymbolicLink(entry).toString().equals(DATA_LINK + "/" + name);
    } catch (NoSuchFileException | NotLinkException e) {
      return false;
    }
  }

  private static void requireDirectory(Path target) {
    try {
      BasicFileAttributes attrs =
          Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attrs.isDirectory()) {
        throw new DriverException(
            FailureKind.TARGET_PATH_FAILED,
            "target " + PathText.quote(target) + " is not a directory");
      }
    } catch (NoSuchFileException e) {
      throw new DriverException(
          FailureKind.TARGET_PATH_FAILED, "target " + PathText.quote(target) + " does not exist");
    } catch (IOException e) {
      throw targetFailed(target, e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      TreeDeleter.deleteTree(p);
    } catch (IOException ignored) {
      // the next successful write removes leftover timestamped directories
    }
  }

  private static DriverException targetFailed(Path target, IOException e) {
    return new DriverException(
        FailureKind.TARGET_PATH_FAILED,
        "reading target " + PathText.quote(target) + " failed: " + PathText.describe(e),
        e);
  }

  static Set<PosixFilePermission> toPermissions(int mode) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((mode & (0400 >> i)) != 0) {
        perms.add(bits[i]);
      }
    }
    return perms;
  }

  static int toMode(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission p : perms) {
      mode |= 0400 >> p.ordinal();
    }
    return mode;
  }

  private static String slashes(Path relative) {
    return relative.toString(); // the default file system on Linux already uses '/'
  }
}
