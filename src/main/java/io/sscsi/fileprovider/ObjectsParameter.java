package io.sscsi.fileprovider;

import io.sscsi.local.Yaml;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Pure: parses the SecretProviderClass parameter {@code objects} in the format of upstream's e2e
 * mock provider, an {@code array:} key holding a list of YAML strings that each hold one map:
 *
 * <pre>
 * array:
 *   - |
 *     objectName: db-password
 *     objectAlias: password
 *     objectVersion: 5e884898da280471
 * </pre>
 *
 * A plain YAML list of maps ({@code - objectName: foo}) and list entries that are maps rather than
 * strings are accepted too. Keys are {@code objectName} (required), {@code objectAlias} and {@code
 * objectVersion}; any other key is refused so that a typo cannot pass silently. Errors are
 * IllegalArgumentException with a message naming the entry, never quoting parameter text.
 */
public final class ObjectsParameter {
  static final Set<String> KEYS = Set.of("objectName", "objectAlias", "objectVersion");

  private ObjectsParameter() {}

  /**
   * One requested object.
   *
   * @param objectName the file's path below the provider's root
   * @param objectAlias the file name in the volume, or null for objectName
   * @param objectVersion the version the class pins, or null for whatever is there
   */
  public record ObjectSpec(String objectName, String objectAlias, String objectVersion) {
    /** Where the object lands in the volume. */
    public String path() {
      return objectAlias != null ? objectAlias : objectName;
    }

    /** Its id in the MountResponse and the pod status. */
    public String id() {
      return "file/" + objectName;
    }
  }

  public static List<ObjectSpec> parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("parameter objects is empty: list at least one objectName");
    }
    JsonNode root = tree(text, "parameter objects");
    JsonNode items;
    if (root.isObject() && root.has("array")) {
      items = root.get("array");
      if (!items.isArray()) {
        throw new IllegalArgumentException("parameter objects: array must hold a list");
      }
    } else if (root.isArray()) {
      items = root;
    } else {
      throw new IllegalArgumentException(
          "parameter objects must be a YAML list of objects, or a map whose key array holds that list");
    }
    List<ObjectSpec> out = new ArrayList<>();
    int i = 0;
    for (JsonNode item : items) {
      out.add(entry(item, "objects[" + i++ + "]"));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("parameter objects lists no object");
    }
    return List.copyOf(out);
  }

  private static ObjectSpec entry(JsonNode item, String where) {
    JsonNode map = item != null && item.isString() ? tree(item.asString(), where) : item;
    if (map == null || !map.isObject()) {
      throw new IllegalArgumentException(where + " must be a map with objectName");
    }
    for (Map.Entry<String, JsonNode> field : map.properties()) {
      if (!KEYS.contains(field.getKey())) {
        throw new IllegalArgumentException(where + " has unknown key " + field.getKey()
            + " (known: objectName, objectAlias, objectVersion)");
      }
      if (!field.getValue().isValueNode()) {
        throw new IllegalArgumentException(where + "." + field.getKey() + " must be a string");
      }
    }
    String name = scalar(map, "objectName");
    if (name == null) {
      throw new IllegalArgumentException(where + " has no objectName");
    }
    return new ObjectSpec(name, scalar(map, "objectAlias"), scalar(map, "objectVersion"));
  }

  private static String scalar(JsonNode map, String key) {
    JsonNode v = map.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    String s = v.asString().trim();
    return s.isEmpty() ? null : s;
  }

  private static JsonNode tree(String text, String where) {
    try {
      return Yaml.tree(text);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(where + " is not valid YAML: " + Yaml.problem(e));
    }
  }
}
