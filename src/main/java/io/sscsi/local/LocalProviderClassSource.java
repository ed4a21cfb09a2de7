package io.sscsi.local;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClassSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode's SecretProviderClasses: the {@code *.yaml} and {@code *.yml} manifests directly in
 * one directory, parsed by {@link ClassManifests} and indexed by namespace and name. Every
 * {@link #get} re-reads the files (they are small and publishes are rare) and re-parses only when
 * some file's bytes changed, so an edit is seen by the very next publish, and each reload is logged
 * once with its problems. Two files defining one class: the first file in name order wins, with a
 * warning. Blocking: call on the blocking dispatcher.
 */
public final class LocalProviderClassSource implements ProviderClassSource {
  private static final Logger LOG = LoggerFactory.getLogger(LocalProviderClassSource.class);
  static final long MAX_FILE_BYTES = 1024 * 1024;

  private final Path dir;
  private boolean loaded;
  private Map<String, byte[]> loadedFiles = Map.of();
  private List<String> loadedReadProblems = List.of();
  private Map<String, ClassManifests.Entry> index = Map.of();
  private List<String> problems = List.of();

  public LocalProviderClassSource(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
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
          "SecretProviderClass \"" + name + "\" not found in namespace \"" + namespace
              + "\" (local mode: no manifest in " + dir + " defines it" + unread + ")");
    }
    if (entry.invalid() != null) {
      throw new DriverException(FailureKind.SPC_INVALID, entry.invalid() + " (" + dir.resolve(entry.source()) + ")");
    }
    return entry.spc();
  }

  /** Re-reads the directory and rebuilds the index when a file was added, removed or changed. */
  synchronized void refresh() {
    Map<String, byte[]> files = new TreeMap<>();
    List<String> readProblems = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
      for (Path file : entries) {
        if (!Files.isRegularFile(file)) {
          continue;
        }
        String name = file.getFileName().toString();
        try {
          if (Files.size(file) > MAX_FILE_BYTES) {
            readProblems.add(name + ": larger than " + MAX_FILE_BYTES + " bytes, skipped");
            continue;
          }
          files.put(name, Files.readAllBytes(file));
        } catch (IOException e) {
          readProblems.add(name + ": cannot be read: " + e.getClass().getSimpleName());
        }
      }
    } catch (IOException e) {
      throw new DriverException(FailureKind.SPC_NOT_FOUND,
          "cannot read the SecretProviderClass directory " + dir + ": " + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    }
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
