package io.sscsi.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Loads deploy/ manifests (and rendered chart output) as typed fabric8 objects, strictly: every
 * document must map to a registered Kubernetes type, no field may land in a model's
 * additionalProperties bag (a misspelt or misplaced key), and serializing the typed object back
 * must give the document that was read (nothing silently dropped).
 */
final class Manifests {

  /** deploy/, relative to the project root (surefire's working directory). */
  static final Path DEPLOY = Path.of("deploy");
  static final Path CHART = DEPLOY.resolve("charts/sscsi");

  static final YAMLMapper YAML = YAMLMapper.builder().build();
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final KubernetesSerialization KUBE = new KubernetesSerialization();

  private Manifests() {}

  /**
   * Every {@code .Values.a.b} path the templates of {@code chart} read; fails naming the template
   * when one is not defined in the chart's values.yaml (a typo renders as empty).
   */
  static Set<String> valuesReadByTemplates(Path chart) {
    JsonNode values = YAML.readTree(read(chart.resolve("values.yaml")));
    java.util.regex.Pattern ref = java.util.regex.Pattern.compile("\\.Values((?:\\.[A-Za-z_][A-Za-z0-9_]*)+)");
    Set<String> used = new java.util.TreeSet<>();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(chart.resolve("templates"))) {
      for (Path f : files.sorted().toList()) {
        java.util.regex.Matcher m = ref.matcher(read(f));
        while (m.find()) {
          String path = m.group(1).substring(1);
          used.add(path);
          assertFalse(at(values, path).isMissingNode(), f.getFileName() + " reads .Values." + path + ", not in values.yaml");
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return used;
  }

  /** The node at dotted path {@code a.b.c} under {@code root} (missing when any part is). */
  static JsonNode at(JsonNode root, String dotted) {
    JsonNode n = root;
    for (String part : dotted.split("\\.")) {
      n = n.path(part);
    }
    return n;
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The non-empty YAML documents of a (multi-document) text. */
  static List<JsonNode> documents(String yaml) {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNextValue()) {
        JsonNode doc = it.nextValue();
        if (doc != null && !doc.isNull() && !doc.isMissingNode() && !doc.isEmpty()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  static List<HasMetadata> load(Path file) {
    return load(read(file), file.toString());
  }

  /** Every document of {@code yaml} as a typed, strictly checked object. */
  static List<HasMetadata> load(String yaml, String origin) {
    List<HasMetadata> out = new ArrayList<>();
    List<JsonNode> docs = documents(yaml);
    assertFalse(docs.isEmpty(), origin + ": no Kubernetes object");
    for (JsonNode doc : docs) {
      String where = origin + " " + doc.path("kind").asString("?") + "/"
          + doc.path("metadata").path("name").asString("?");
      Object typed = KUBE.unmarshal(JSON.writeValueAsString(doc));
      if (!(typed instanceof HasMetadata resource) || typed instanceof GenericKubernetesResource) {
        fail(where + ": not a known Kubernetes type (apiVersion/kind): " + typed.getClass().getName());
        return out;
      }
      List<String> unknown = new ArrayList<>();
      unknownFields(typed, "", unknown);
      assertTrue(unknown.isEmpty(), where + ": fields the API type does not have: " + unknown);
      JsonNode back = JSON.readTree(KUBE.asJson(typed));
      assertEquals(doc, back, where + ": the typed object does not serialize back to the manifest");
      out.add(resource);
    }
    return out;
  }

  static <T extends HasMetadata> List<T> all(List<HasMetadata> resources, Class<T> type) {
    return resources.stream().filter(type::isInstance).map(type::cast).toList();
  }

  static <T extends HasMetadata> T only(List<HasMetadata> resources, Class<T> type) {
    List<T> found = all(resources, type);
    assertEquals(1, found.size(), "expected exactly one " + type.getSimpleName() + ", got " + found.size());
    return found.get(0);
  }

  static <T extends HasMetadata> T named(List<HasMetadata> resources, Class<T> type, String name) {
    return all(resources, type).stream()
        .filter(r -> name.equals(r.getMetadata().getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " named " + name));
  }

  /**
   * A ClusterRole's rules as "group/resource[@names]" -> verbs, one entry per resource, so that
   * role comparisons do not depend on how rules are grouped.
   */
  static Map<String, Set<String>> grants(ClusterRole role) {
    return grants(role.getRules());
  }

  /** {@link #grants(ClusterRole)} of any rules (a Role's too). */
  static Map<String, Set<String>> grants(List<PolicyRule> rules) {
    Map<String, Set<String>> out = new TreeMap<>();
    for (PolicyRule rule : rules) {
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          String key = group + "/" + resource
              + (rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
                  ? "" : "@" + String.join(",", rule.getResourceNames()));
          out.computeIfAbsent(key, k -> new TreeSet<>()).addAll(rule.getVerbs());
        }
      }
    }
    return out;
  }

  static io.fabric8.kubernetes.api.model.Container container(DaemonSet ds, String name) {
    return ds.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> name.equals(c.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name));
  }

  /** The value of {@code --name=value} in args, or null. */
  static String flag(List<String> args, String name) {
    String prefix = name + "=";
    return args.stream().filter(a -> a.startsWith(prefix)).map(a -> a.substring(prefix.length()))
        .findFirst().orElse(null);
  }

  /**
   * The driver flags a container's args mean: {@code --name=value} pairs after the {@code driver}
   * subcommand, {@code $(VAR)} replaced by the container's plain env values, and the driver's default
   * for each flag that upstream's chart leaves out unless it is set (rotation, health check, JSON logs,
   * poll interval, message size). Two DaemonSets with equal maps run the driver the same way.
   */
  static Map<String, String> driverFlags(io.fabric8.kubernetes.api.model.Container c) {
    Map<String, String> env = new TreeMap<>();
    if (c.getEnv() != null) {
      c.getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
    }
    Map<String, String> flags = new TreeMap<>(Map.of(
        "--enable-secret-rotation", "false",
        "--rotation-poll-interval", "2m",
        "--provider-health-check", "false",
        "--provider-health-check-interval", "2m",
        "--log-format-json", "false",
        "--max-call-recv-msg-size", "4194304"));
    List<String> args = c.getArgs();
    assertEquals("driver", args.get(0), "the image's entrypoint is `java -jar /app/sscsi.jar`");
    for (String a : args.subList(1, args.size())) {
      int eq = a.indexOf('=');
      assertTrue(a.startsWith("-") && eq > 0, "not a --name=value flag: " + a);
      String value = a.substring(eq + 1);
      for (Map.Entry<String, String> e : env.entrySet()) {
        value = value.replace("$(" + e.getKey() + ")", e.getValue());
      }
      flags.put(a.substring(0, eq), value);
    }
    return flags;
  }

  /**
   * Collects the keys that fabric8 put into an additionalProperties bag anywhere in the object
   * tree: keys the Kubernetes type does not have.
   */
  private static void unknownFields(Object o, String path, List<String> problems) {
    if (o == null) {
      return;
    }
    if (o instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, path + "." + k, problems));
      return;
    }
    if (o instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, path + "[" + i++ + "]", problems);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || m.getDeclaringClass() == Object.class) {
        continue;
      }
      JsonProperty property = m.getAnnotation(JsonProperty.class);
      Object value;
      try {
        if (property == null && m.getName().equals("getAdditionalProperties")
            && Map.class.isAssignableFrom(m.getReturnType())) {
          Map<?, ?> extra = (Map<?, ?>) m.invoke(o);
          if (extra != null && !extra.isEmpty()) {
            problems.add((path.isEmpty() ? "." : path) + " " + extra.keySet());
          }
          continue;
        }
        if (property == null) {
          continue;
        }
        value = m.invoke(o);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException(m.toString(), e);
      }
      unknownFields(value, path + "." + property.value(), problems);
    }
  }
}
