package io.sscsi.local;

import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The one YAML mapper of local mode and the file provider, and the one way to describe a YAML
 * error. The YAML parser's own messages quote the offending source line, which may hold a
 * parameter or a secret value, so {@link #problem} keeps only the first line of the message and
 * the line and column.
 */
public final class Yaml {
  public static final YAMLMapper MAPPER = YAMLMapper.builder().build();

  private Yaml() {}

  /** Parses one YAML document; an empty text is a MissingNode. */
  public static JsonNode tree(String text) {
    return MAPPER.readTree(text);
  }

  /** {@code <what went wrong> at line L, column C}, without any source text. */
  public static String problem(JacksonException e) {
    String message = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
    int newline = message.indexOf('\n');
    if (newline >= 0) {
      message = message.substring(0, newline);
    }
    TokenStreamLocation at = e.getLocation();
    if (at != null && at.getLineNr() > 0) {
      message += " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }
    return message.strip();
  }
}
