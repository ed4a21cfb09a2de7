package io.sscsi.deploy;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The part of a CRD's structural OpenAPI v3 schema a Java test can check: type, required, properties
 * (an unknown field is reported, where the API server would silently prune it), additionalProperties,
 * enum, pattern, min/maxLength (in code points, as the API server counts), min/maxItems, minimum,
 * format date-time, and unique keys of {@code x-kubernetes-list-type: map} and {@code set}. Not
 * checked: CEL rules ({@code x-kubernetes-validations}) and defaulting. An object schema with neither
 * properties nor additionalProperties (the root's {@code metadata}) accepts any fields, as the API server
 * validates ObjectMeta itself. Returns every problem found, each with its JSON path.
 */
final class OpenApiSchemaCheck {

  private OpenApiSchemaCheck() {}

  /** The problems of {@code value} against {@code schema}; empty when it is valid. */
  static List<String> problems(JsonNode schema, JsonNode value) {
    List<String> out = new ArrayList<>();
    check(schema, value, "", out);
    return out;
  }

  private static void check(JsonNode schema, JsonNode value, String path, List<String> out) {
    String where = path.isEmpty() ? "." : path;
    if (value.isNull()) {
      if (!schema.path("nullable").asBoolean(false)) {
        out.add(where + ": null");
      }
      return;
    }
    String type = schema.path("type").asString("");
    switch (type) {
      case "object" -> object(schema, value, path, out);
      case "array" -> array(schema, value, path, out);
      case "string" -> string(schema, value, where, out);
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          out.add(where + ": not an integer: " + value);
        } else if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
          out.add(where + ": below the minimum " + schema.get("minimum"));
        }
      }
      case "number" -> {
        if (!value.isNumber()) {
          out.add(where + ": not a number: " + value);
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          out.add(where + ": not a boolean: " + value);
        }
      }
      case "" -> { }
      default -> out.add(where + ": schema type " + type + " not known to this check");
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode e : schema.get("enum")) {
        listed |= e.equals(value);
      }
      if (!listed) {
        out.add(where + ": " + value + " is not one of " + schema.get("enum"));
      }
    }
  }

  private static void object(JsonNode schema, JsonNode value, String path, List<String> out) {
    String where = path.isEmpty() ? "." : path;
    if (!value.isObject()) {
      out.add(where + ": not an object: " + value);
      return;
    }
    for (JsonNode required : schema.path("required")) {
      if (!value.has(required.asString())) {
        out.add(where + ": missing required field " + required.asString());
      }
    }
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.path("additionalProperties");
    boolean open = properties.isMissingNode() && additional.isMissingNode()
        || schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    for (Map.Entry<String, JsonNode> field : value.properties()) {
      String child = path + "." + field.getKey();
      if (properties.has(field.getKey())) {
        check(properties.get(field.getKey()), field.getValue(), child, out);
      } else if (additional.isObject()) {
        check(additional, field.getValue(), child, out);
      } else if (!open) {
        out.add(child + ": unknown field (the API server would drop it)");
      }
    }
  }

  private static void array(JsonNode schema, JsonNode value, String path, List<String> out) {
    if (!value.isArray()) {
      out.add(path + ": not an array: " + value);
      return;
    }
    if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
      out.add(path + ": fewer than " + schema.get("minItems").asInt() + " items");
    }
    if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
      out.add(path + ": more than " + schema.get("maxItems").asInt() + " items");
    }
    String listType = schema.path("x-kubernetes-list-type").asString("atomic");
    Set<Object> seen = new HashSet<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      check(schema.path("items"), item, path + "[" + i + "]", out);
      Object key = switch (listType) {
        case "map" -> {
          List<JsonNode> parts = new ArrayList<>();
          schema.path("x-kubernetes-list-map-keys").forEach(k -> parts.add(item.path(k.asString())));
          yield parts;
        }
        case "set" -> item;
        default -> null;
      };
      if (key != null && !seen.add(key)) {
        out.add(path + "[" + i + "]: duplicate " + (listType.equals("map") ? "key " : "item ") + key);
      }
    }
  }

  private static void string(JsonNode schema, JsonNode value, String where, List<String> out) {
    if (!value.isString()) {
      out.add(where + ": not a string: " + value);
      return;
    }
    String s = value.asString();
    int length = s.codePointCount(0, s.length());
    if (schema.has("minLength") && length < schema.get("minLength").asInt()) {
      out.add(where + ": shorter than " + schema.get("minLength").asInt());
    }
    if (schema.has("maxLength") && length > schema.get("maxLength").asInt()) {
      out.add(where + ": longer than " + schema.get("maxLength").asInt());
    }
    if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asString()).matcher(s).find()) {
      out.add(where + ": " + s + " does not match " + schema.get("pattern").asString());
    }
    if (schema.path("format").asString("").equals("date-time")) {
      try {
        OffsetDateTime.parse(s);
      } catch (DateTimeParseException e) {
        out.add(where + ": not a date-time: " + s);
      }
    }
  }
}
