package io.sscsi.local;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.errors.ForeignText;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClassSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode's SecretProviderClasses: the {@code *.yaml} and {@code *.yml} manifests directly in
 * one directory, parsed by {@link ClassManifests} and indexed by namespace and name. Every
 * {@link #get} checks the files and re-parses only when some file's bytes changed, so an edit is
 * seen by the very next publish, and each reload is logged once with its problems. The check is a
 * stat of the directory and of each file (inode, size, modification and change time) once the files
 * were last changed more than {@link #SETTLED} before they were read; files changed more recently
 * than that, or a directory with entries that could not be used, are read again on every lookup (a
 * change within one tick of the file system's clock leaves the stat as it was). Two files defining
 * one class: the first file in name order wins, with a warning. Blocking: call on the blocking
 * dispatcher.
 */
public final class LocalProviderClassSource implements ProviderClassSource {
  private static final Logger LOG = LoggerFactory.getLogger(LocalProviderClassSource.class);
  static final long MAX_FILE_BYTES = 1024 * 1024;

  /** How long before a read a file must have last changed for its stat to stand for its bytes. */
  static final Duration SETTLED = Duration.ofSeconds(2);
  private static final String STAMP = "unix:ino,dev,size,lastModifiedTime,ctime";

  private final Path dir;
  private final Clock clock;
  /** The stats of the directory and of each loaded file as they were read, or empty when they cannot be trusted. */
  private Optional<Map<Path, Map<String, Object>>> settled = Optional.empty();
  private long fileReads;
  private boolean loaded;
  private Map<String, byte[]> loadedFiles = Map.of();
  private List<String> loadedReadProblems = List.of();
  private Map<String, ClassManifests.Entry> index = Map.of();
  private List<String> problems = List.of();

  public LocalProviderClassSource(Path dir) {
    this(dir, Clock.systemUTC());
  }

  /** {@code clock}: the wall clock the file system's timestamps are compared with. */
  LocalProviderClassSource(Path dir, Clock clock) {
    this.dir = dir.toAbsolutePath().normalize();
    this.clock = clock;
  }

  public Path directory() {
    return dir;
  }

  @Override
  public synchronized ProviderClass get(String namespace, String name) {
    refresh();
    ClassManifests.Entry entry = index.get(namespace + "/" + name);
    if (entry == null) {
      String unread = problems.isEmpty() ? ""
          : "; " + problems.size() + " problem(s) reading the manifests, first: " + problems.get(0);
      throw new DriverException(FailureKind.SPC_NOT_FOUND,
          "SecretProviderClass \"" + ForeignText.bounded(name) + "\" not found in namespace \"" + ForeignText.bounded(namespace)
              + "\" (local mode: no manifest in " + dir + " defines it" + unread + ")");
    }
    if (entry.invalid() != null) {
      throw new DriverException(FailureKind.SPC_INVALID, entry.invalid() + " (" + dir.resolve(entry.source()) + ")");
    }
    return entry.spc();
  }

  /** Re-reads the directory and rebuilds the index when a file was added, removed or changed. */
  synchronized void refresh() {
    if (unchanged()) {
      return;
    }
    settled = Optional.empty();
    Instant readAt = clock.instant();
    Map<Path, Map<String, Object>> stamps = new HashMap<>();
    boolean trusted = stamp(dir, readAt, stamps);
    Map<String, byte[]> files = new TreeMap<>();
    List<String> readProblems = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
      for (Path file : entries) {
        if (!Files.isRegularFile(file)) {
          trusted = false;
          continue;
        }
        trusted &= stamp(file, readAt, stamps);
        String name = file.getFileName().toString();
        try {
          if (Files.size(file) > MAX_FILE_BYTES) {
            readProblems.add(name + ": larger than " + MAX_FILE_BYTES + " bytes, skipped");
            continue;
          }
          files.put(name, Files.readAllBytes(file));
          fileReads++;
        } catch (IOException e) {
          readProblems.add(name + ": cannot be read: " + e.getClass().getSimpleName());
        }
      }
    } catch (IOException e) {
      throw new DriverException(FailureKind.SPC_NOT_FOUND,
          "cannot read the SecretProviderClass directory " + dir + ": " + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    }
    settled = trusted && readProblems.isEmpty() ? Optional.of(Map.copyOf(stamps)) : Optional.empty();
    if (loaded && readProblems.equals(loadedReadProblems) && sameFiles(files)) {
      return;
    }
    Map<String, ClassManifests.Entry> fresh = new HashMap<>();
    List<String> all = new ArrayList<>(readProblems);
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      ClassManifests.Parsed parsed = ClassManifests.parse(new String(f.getValue(), StandardCharsets.UTF_8), f.getKey());
      all.addAll(parsed.problems());
      for (ClassManifests.Entry e : parsed.classes()) {
        ClassManifests.Entry first = fresh.putIfAbsent(e.key(), e);
        if (first != null) {
          all.add("SecretProviderClass " + e.key() + " is defined in both " + first.source() + " and "
              + e.source() + "; using " + first.source());
        }
      }
    }
    loaded = true;
    loadedFiles = files;
    loadedReadProblems = List.copyOf(readProblems);
    index = Map.copyOf(fresh);
    problems = List.copyOf(all);
    LOG.info("loaded {} SecretProviderClass(es) from {} manifest file(s) in {}: {}", index.size(), files.size(), dir,
        new TreeMap<>(index).keySet());
    all.forEach(p -> LOG.warn("SecretProviderClass manifests in {}: {}", dir, p));
  }

  /** True when the settled stats still hold: nothing was added, removed, replaced or written since. */
  private boolean unchanged() {
    if (settled.isEmpty()) {
      return false;
    }
    for (Map.Entry<Path, Map<String, Object>> e : settled.get().entrySet()) {
      try {
        if (!e.getValue().equals(Files.readAttributes(e.getKey(), STAMP))) {
          return false;
        }
      } catch (IOException | RuntimeException failure) {
        return false; // the full read reports it
      }
    }
    return true;
  }

  /**
   * Records {@code path}'s stat; false when it cannot be had or the path changed less than
   * {@link #SETTLED} before {@code readAt}, so that its stat cannot stand for its content.
   */
  private static boolean stamp(Path path, Instant readAt, Map<Path, Map<String, Object>> stamps) {
    Map<String, Object> stat;
    try {
      stat = Files.readAttributes(path, STAMP);
    } catch (IOException | RuntimeException e) {
      return false;
    }
    stamps.put(path, stat);
    Instant settledBy = readAt.minus(SETTLED);
    return stat.get("lastModifiedTime") instanceof FileTime m && m.toInstant().isBefore(settledBy)
        && stat.get("ctime") instanceof FileTime c && c.toInstant().isBefore(settledBy);
  }

  /** How many manifest files were read so far (tests: a settled directory is not read again). */
  synchronized long fileReads() {
    return fileReads;
  }

  private boolean sameFiles(Map<String, byte[]> files) {
    if (!files.keySet().equals(loadedFiles.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      if (!Arrays.equals(f.getValue(), loadedFiles.get(f.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
