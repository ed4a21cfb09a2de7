package io.sscsi.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pure: turns Kamon's Prometheus text into what {@code /metrics} serves. Kamon names a time
 * histogram {@code <name>_seconds} where upstream's is {@code <name>} ({@code RENAMES}); Kamon adds
 * its own {@code kamon_*} families, which are dropped; a family with no sample yet (a histogram
 * before its first observation) gets the zero samples given for it, or is left out; histogram {@code le}
 * values are written as Go writes floats ({@link GoFloats#format}), so the series are the same as
 * upstream's. Also the small builder {@link Text} that {@link ProcessMetrics} writes with.
 */
final class Exposition {
  private static final Pattern HEADER = Pattern.compile("^# (?:HELP|TYPE) (\\S+).*");
  private static final Pattern LE = Pattern.compile("le=\"([^\"]*)\"");

  private Exposition() {}

  static String rewrite(String kamon, Map<String, String> renames) {
    return rewrite(kamon, renames, Map.of());
  }

  /**
   * @param zeros for a family Kamon lists without samples, the sample lines to serve instead (a
   *     histogram with fixed labels and no observation yet, so that its first one shows in rate())
   */
  static String rewrite(String kamon, Map<String, String> renames, Map<String, String> zeros) {
    String text = kamon;
    for (Map.Entry<String, String> rename : renames.entrySet()) {
      text = text.replace(rename.getKey(), rename.getValue());
    }
    StringBuilder out = new StringBuilder(text.length());
    List<String> family = new ArrayList<>();
    String name = null;
    for (String line : text.split("\n")) {
      Matcher header = HEADER.matcher(line);
      if (header.matches() && !header.group(1).equals(name)) {
        flush(family, name, zeros, out);
        name = header.group(1);
      }
      if (!line.isBlank()) {
        family.add(line.startsWith("#") ? line : goLe(line));
      }
    }
    flush(family, name, zeros, out);
    return out.toString();
  }

  private static void flush(List<String> family, String name, Map<String, String> zeros, StringBuilder out) {
    boolean hasSample = family.stream().anyMatch(l -> !l.startsWith("#"));
    if (name != null && name.startsWith("kamon_")) {
      family.clear();
      return;
    }
    if (hasSample || (name != null && zeros.containsKey(name))) {
      family.forEach(l -> out.append(l).append('\n'));
      if (!hasSample) {
        out.append(zeros.get(name));
      }
    }
    family.clear();
  }

  private static String goLe(String sample) {
    Matcher m = LE.matcher(sample);
    if (!m.find() || m.group(1).equals("+Inf")) {
      return sample;
    }
    String go = GoFloats.format(Double.parseDouble(m.group(1)));
    return sample.substring(0, m.start(1)) + go + sample.substring(m.end(1));
  }

  /** Writes the Prometheus text format, version 0.0.4. */
  static final class Text {
    private final StringBuilder out = new StringBuilder();

    Text family(String name, String type, String help) {
      out.append("# HELP ").append(name).append(' ').append(help).append('\n');
      out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
      return this;
    }

    /** One sample; {@code labels} alternate name and value. */
    Text sample(String name, double value, String... labels) {
      out.append(name);
      if (labels.length > 0) {
        out.append('{');
        for (int i = 0; i < labels.length; i += 2) {
          out.append(i == 0 ? "" : ",").append(labels[i]).append("=\"").append(escape(labels[i + 1])).append('"');
        }
        out.append('}');
      }
      out.append(' ').append(GoFloats.formatValue(value)).append('\n');
      return this;
    }

    private static String escape(String value) {
      return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    @Override
    public String toString() {
      return out.toString();
    }
  }
}
