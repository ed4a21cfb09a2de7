package io.sscsi.local;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import io.sscsi.k8s.model.SecretProviderClassPodStatusStatus;
import io.sscsi.status.PodStatus;
import io.sscsi.status.PodStatusStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Local mode's SecretProviderClassPodStatus: instead of an object in the API server, one JSON file
 * per volume at {@code <state>/<namespace>/<pod>-<namespace>-<class>.json} with the fields the
 * object would have (apiVersion, kind, metadata with the node label and the pod owner reference,
 * status with podName, secretProviderClassName, mounted, targetPath and the sorted object
 * versions). Operators and {@code sscsi demo} read versions from it, and restart recovery lists
 * this node's files ({@link #listForNode}) as it lists a cluster's objects. It holds no secret content.
 * Files are replaced atomically (write, then rename); names outside {@code [A-Za-z0-9._-]} are
 * percent-encoded so a request can never write outside the state directory. Blocking.
 */
public final class LocalPodStatusStore implements PodStatusStore {
  private static final Logger LOG = LoggerFactory.getLogger(LocalPodStatusStore.class);
  /** Built at the first status read or write, not when local mode is set up before the CSI socket is served. */
  private static final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
  }

  /** Temporary names: unique in this process by the counter, and between processes by the prefix. */
  private static final String TMP_PREFIX = Long.toHexString(System.nanoTime() ^ ProcessHandle.current().pid() << 40) + "-";
  private static final AtomicLong TMP_SEQ = new AtomicLong();

  private final Path stateDir;

  public LocalPodStatusStore(Path stateDir) {
    this.stateDir = stateDir.toAbsolutePath().normalize();
  }

  /** The file holding the status object {@code objectName} of {@code namespace}. */
  public static Path file(Path stateDir, String namespace, String objectName) {
    return stateDir.resolve(segment(namespace)).resolve(segment(objectName) + ".json");
  }

  /** The object versions recorded in a status file, sorted by id. */
  public static Map<String, String> readVersions(Path file) throws IOException {
    Map<String, String> out = new java.util.TreeMap<>();
    try {
      JsonNode objects = Json.MAPPER.readTree(Files.readString(file)).path("status").path("objects");
      for (JsonNode o : objects) {
        out.put(o.path("id").asString(), o.path("version").asString());
      }
    } catch (JacksonException e) {
      throw new IOException("status file " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    return out;
  }

  @Override
  public void upsert(PodStatus status) {
    Path target = file(stateDir, status.podNamespace(), status.objectName());
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("apiVersion", ClassManifests.GROUP + "/v1");
    doc.put("kind", "SecretProviderClassPodStatus");
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("name", status.objectName());
    meta.put("namespace", status.podNamespace());
    meta.put("labels", Map.of(SecretProviderClassPodStatus.NODE_LABEL, status.nodeId()));
    Map<String, Object> owner = new LinkedHashMap<>();
    owner.put("apiVersion", "v1");
    owner.put("kind", "Pod");
    owner.put("name", status.podName());
    owner.put("uid", status.podUid());
    meta.put("ownerReferences", List.of(owner));
    doc.put("metadata", meta);
    doc.put("status", new SecretProviderClassPodStatusStatus(status.podName(), status.className(), true,
        status.targetPath(), status.sortedVersions().entrySet().stream()
            .map(e -> new SecretProviderClassPodStatusStatus.ObjectVersion(e.getKey(), e.getValue())).toList()));
    byte[] json = Json.MAPPER.writeValueAsBytes(doc);
    byte[] text = Arrays.copyOf(json, json.length + 1);
    text[json.length] = '\n';
    try {
      replace(target, text);
    } catch (IOException e) {
      throw new DriverException(FailureKind.WRITE_FAILED,
          "cannot write the local pod status " + target + ": " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Writes {@code text} to a fresh temporary file beside {@code target} and renames it over it: one
   * open (the name is unique without a random source: this process's prefix and a counter), one
   * write, one rename; the namespace directory is created only when the write finds it missing.
   */
  private static void replace(Path target, byte[] text) throws IOException {
    Path tmp = target.resolveSibling(".status-" + TMP_PREFIX + TMP_SEQ.incrementAndGet() + ".tmp");
    try {
      writeNew(tmp, text);
    } catch (NoSuchFileException e) {
      Files.createDirectories(target.getParent());
      writeNew(tmp, text);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  private static void writeNew(Path tmp, byte[] text) throws IOException {
    try {
      Files.write(tmp, text, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (NoSuchFileException | FileAlreadyExistsException e) {
      throw e; // nothing of ours to remove
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  @Override
  public void delete(String podNamespace, String objectName) {
    Path target = file(stateDir, podNamespace, objectName);
    try {
      Files.deleteIfExists(target);
    } catch (IOException e) {
      throw new DriverException(FailureKind.WRITE_FAILED,
          "cannot delete the local pod status " + target + ": " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Every status file labelled for {@code nodeId}, read back into the fields it was written from,
   * for restart recovery (the same recovery as in a cluster). A file that does not parse, or whose
   * content names another file than its own, is skipped with a warning: recovery never acts on it.
   */
  @Override
  public List<PodStatus> listForNode(String nodeId) {
    List<PodStatus> out = new ArrayList<>();
    if (!Files.isDirectory(stateDir)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(stateDir, 2)) {
      for (Path file : (Iterable<Path>) files.filter(f -> f.getNameCount() == stateDir.getNameCount() + 2)
          .filter(f -> f.getFileName().toString().endsWith(".json")).sorted()::iterator) {
        read(file).filter(status -> status.nodeId().equals(nodeId)).ifPresent(out::add);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new DriverException(FailureKind.WRITE_FAILED,
          "cannot list the local pod status files in " + stateDir + ": " + e.getClass().getSimpleName(), e);
    }
    return out;
  }

  private Optional<PodStatus> read(Path file) {
    try {
      JsonNode doc = Json.MAPPER.readTree(Files.readString(file));
      JsonNode meta = doc.path("metadata");
      JsonNode status = doc.path("status");
      Map<String, String> versions = new LinkedHashMap<>();
      for (JsonNode o : status.path("objects")) {
        versions.put(o.path("id").asString(), o.path("version").asString());
      }
      PodStatus read = new PodStatus(status.path("podName").asString(""), meta.path("namespace").asString(""),
          meta.path("ownerReferences").path(0).path("uid").asString(""),
          status.path("secretProviderClassName").asString(""),
          meta.path("labels").path(SecretProviderClassPodStatus.NODE_LABEL).asString(""),
          status.path("targetPath").asString(""), versions);
      if (!file(stateDir, read.podNamespace(), read.objectName()).equals(file)) {
        LOG.warn("local pod status file {} names pod {}/{} and class {}, whose file it is not: ignored", file,
            read.podNamespace(), read.podName(), read.className());
        return Optional.empty();
      }
      return Optional.of(read);
    } catch (IOException | JacksonException e) {
      LOG.warn("local pod status file {} cannot be read, ignored: {}", file, e.getClass().getSimpleName());
      return Optional.empty();
    }
  }

  /** A file-name-safe form of a name: Kubernetes names pass unchanged; no result starts with a dot. */
  static String segment(String name) {
    StringBuilder b = new StringBuilder();
    byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int c = bytes[i] & 0xff;
      boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
          || c == '.' && i > 0;
      b.append(plain ? String.valueOf((char) c) : String.format("%%%02X", c));
    }
    return b.length() == 0 ? "%" : b.toString();
  }
}
