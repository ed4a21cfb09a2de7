package io.sscsi.synccontroller;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sscsi.local.Yaml;
import io.sscsi.synccontroller.model.SecretSync;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;

/**
 * Local mode's SecretSyncs: the {@code kind: SecretSync} documents ({@value SecretSync#API_VERSION}) of
 * the {@code *.yaml} and {@code *.yml} files directly in one directory, the YAML a user would {@code
 * kubectl apply}: any number of {@code ---} documents, other kinds skipped (so one directory may hold
 * the classes too). The namespace defaults to {@code default}; as no API server assigns them, the uid
 * is derived from namespace and name (stable across runs, so the sync hash is too) and the generation
 * is 1. What the CRD would refuse in a cluster and the controller needs (a name, {@code
 * secretProviderClassName}, at least one {@code secretObject.data} entry) is a problem, and the
 * object is skipped. Problems never quote file text. Blocking: reads files.
 */
public final class LocalSecretSyncs {
  private static final KubernetesSerialization KUBE = new KubernetesSerialization();
  private static final ObjectReader DOCUMENT =
      Yaml.MAPPER.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  static final long MAX_FILE_BYTES = 1024 * 1024;

  /** The SecretSyncs found, by namespace/name, and what was wrong with the rest. */
  public record Scan(Map<SyncKey, SecretSync> syncs, List<String> problems) {}

  private LocalSecretSyncs() {}

  /** Reads every manifest in {@code dir}; the first file in name order wins a duplicate, with a problem. */
  public static Scan scan(Path dir) {
    Map<SyncKey, SecretSync> syncs = new TreeMap<>(java.util.Comparator.comparing(SyncKey::toString));
    Map<SyncKey, String> sources = new java.util.HashMap<>();
    List<String> problems = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
      entries.forEach(files::add);
    } catch (IOException e) {
      problems.add("cannot read the SecretSync directory " + dir + ": " + e.getClass().getSimpleName());
      return new Scan(Map.of(), problems);
    }
    files.sort(null);
    for (Path file : files) {
      String name = file.getFileName().toString();
      String text;
      try {
        if (!Files.isRegularFile(file)) {
          continue;
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
          problems.add(name + ": larger than " + MAX_FILE_BYTES + " bytes, skipped");
          continue;
        }
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        problems.add(name + ": cannot be read: " + e.getClass().getSimpleName());
        continue;
      }
      for (SecretSync s : parse(text, name, problems)) {
        SyncKey key = SyncKey.of(s);
        String first = sources.putIfAbsent(key, name);
        if (first != null) {
          problems.add("SecretSync " + key + " is defined in both " + first + " and " + name + "; using " + first);
        } else {
          syncs.put(key, s);
        }
      }
    }
    return new Scan(syncs, problems);
  }

  /** The SecretSyncs of one manifest file; {@code source} names it in problems. */
  static List<SecretSync> parse(String text, String source, List<String> problems) {
    List<SecretSync> out = new ArrayList<>();
    int doc = 0;
    try (JsonParser parser = Yaml.MAPPER.createParser(text)) {
      while (parser.nextToken() != null) {
        doc++;
        JsonNode node = DOCUMENT.readValue(parser);
        String where = source + " document " + doc;
        if (node == null || !node.isObject() || !SecretSync.KIND.equals(text(node.get("kind")))) {
          continue;
        }
        if (!SecretSync.API_VERSION.equals(text(node.get("apiVersion")))) {
          problems.add(where + ": SecretSync with apiVersion \"" + text(node.get("apiVersion"))
              + "\" is not supported (use " + SecretSync.API_VERSION + ")");
          continue;
        }
        SecretSync sync;
        try {
          sync = KUBE.unmarshal(node.toString(), SecretSync.class);
        } catch (RuntimeException e) {
          problems.add(where + ": SecretSync cannot be read (" + e.getClass().getSimpleName() + ")");
          continue;
        }
        String invalid = invalid(sync);
        if (invalid != null) {
          problems.add(where + ": " + invalid + "; skipped");
          continue;
        }
        if (sync.getMetadata().getNamespace() == null || sync.getMetadata().getNamespace().isBlank()) {
          sync.getMetadata().setNamespace("default");
        }
        sync.getMetadata().setUid(UUID.nameUUIDFromBytes(("secretsync/" + sync.getMetadata().getNamespace() + "/"
            + sync.getMetadata().getName()).getBytes(StandardCharsets.UTF_8)).toString());
        sync.getMetadata().setGeneration(1L);
        sync.setStatus(null); // what the file says of a status is not ours to trust
        out.add(sync);
      }
    } catch (JacksonException e) {
      problems.add(source + ": invalid YAML: " + Yaml.problem(e));
    }
    return out;
  }

  private static String invalid(SecretSync s) {
    if (s.getMetadata() == null || s.getMetadata().getName() == null || s.getMetadata().getName().isBlank()) {
      return "SecretSync without metadata.name";
    }
    String name = "SecretSync " + s.getMetadata().getName();
    if (s.getSpec() == null || s.getSpec().secretProviderClassName() == null
        || s.getSpec().secretProviderClassName().isBlank()) {
      return name + " has no spec.secretProviderClassName";
    }
    if (s.getSpec().secretObject() == null || s.getSpec().secretObject().data().isEmpty()) {
      return name + " has no spec.secretObject.data";
    }
    return null;
  }

  private static String text(JsonNode node) {
    return node == null || !node.isValueNode() ? null : node.asString();
  }
}
