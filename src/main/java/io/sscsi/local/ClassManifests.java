package io.sscsi.local;

import io.sscsi.errors.DriverException;
import io.sscsi.k8s.KubeProviderClassSource;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.spc.ProviderClass;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;

/**
 * Pure: reads the SecretProviderClasses out of one manifest file, the YAML a user would {@code
 * kubectl apply}: any number of {@code ---} documents, {@code kind: List} wrappers, other kinds
 * skipped. A class is {@code kind: SecretProviderClass} with apiVersion {@code
 * secrets-store.csi.x-k8s.io/v1} or {@code v1alpha1}; its namespace defaults to {@code default}.
 * A class that parses but cannot be mounted (no provider, no parameters) is kept with the reason,
 * so that using it fails as SPC_INVALID rather than SPC_NOT_FOUND. Problems never quote file text.
 */
public final class ClassManifests {
  public static final String GROUP = "secrets-store.csi.x-k8s.io";
  static final Set<String> API_VERSIONS = Set.of(GROUP + "/v1", GROUP + "/v1alpha1");
  static final String KIND = "SecretProviderClass";
  /** One document at a time: a root-level list stays one value, and the next document is not "trailing". */
  private static final ObjectReader DOCUMENT =
      Yaml.MAPPER.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ClassManifests() {}

  /**
   * One class found in a manifest.
   *
   * @param spc the usable class, or null when {@code invalid} says why it cannot be used
   * @param invalid why the class cannot be mounted, or null
   */
  public record Entry(String namespace, String name, String source, ProviderClass spc, String invalid) {
    public String key() {
      return namespace + "/" + name;
    }
  }

  /** The classes of one file and what was wrong with the rest of it. */
  public record Parsed(List<Entry> classes, List<String> problems) {}

  /** Parses {@code text}; {@code source} names the file in problems and entries. */
  public static Parsed parse(String text, String source) {
    List<Entry> classes = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    int doc = 0;
    try (JsonParser parser = Yaml.MAPPER.createParser(text)) {
      while (parser.nextToken() != null) {
        doc++;
        document(DOCUMENT.readValue(parser), source + " document " + doc, source, classes, problems);
      }
    } catch (JacksonException e) {
      problems.add(source + ": invalid YAML: " + Yaml.problem(e));
    }
    return new Parsed(List.copyOf(classes), List.copyOf(problems));
  }

  private static void document(JsonNode node, String where, String source, List<Entry> classes, List<String> problems) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return;
    }
    if (!node.isObject()) {
      problems.add(where + ": not a mapping");
      return;
    }
    String kind = text(node.get("kind"));
    if (kind != null && kind.endsWith("List") && node.path("items").isArray()) {
      int i = 0;
      for (JsonNode item : node.get("items")) {
        document(item, where + " items[" + i++ + "]", source, classes, problems);
      }
      return;
    }
    if (!KIND.equals(kind)) {
      return;
    }
    String apiVersion = text(node.get("apiVersion"));
    if (!API_VERSIONS.contains(apiVersion)) {
      problems.add(where + ": SecretProviderClass with apiVersion \"" + apiVersion
          + "\" is not supported (use " + GROUP + "/v1)");
      return;
    }
    String name = text(node.path("metadata").get("name"));
    if (name == null || name.isBlank()) {
      problems.add(where + ": SecretProviderClass without metadata.name");
      return;
    }
    String namespace = text(node.path("metadata").get("namespace"));
    if (namespace == null || namespace.isBlank()) {
      namespace = "default";
    }
    SecretProviderClassSpec spec;
    try {
      spec = node.hasNonNull("spec") ? Yaml.MAPPER.treeToValue(node.get("spec"), SecretProviderClassSpec.class) : null;
    } catch (JacksonException e) {
      classes.add(new Entry(namespace, name, source, null, "spec cannot be read: " + Yaml.problem(e)));
      return;
    }
    try {
      classes.add(new Entry(namespace, name, source, KubeProviderClassSource.toProviderClass(namespace, name, spec), null));
    } catch (DriverException e) {
      classes.add(new Entry(namespace, name, source, null, e.getMessage()));
    }
  }

  private static String text(JsonNode node) {
    return node == null || !node.isValueNode() ? null : node.asString();
  }
}
