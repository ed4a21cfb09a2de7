package io.sscsi.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/**
 * Pure: Go's {@code time.ParseDuration} syntax, as upstream's flags and Helm values use it
 * ({@code 2m}, {@code 30s}, {@code 1h30m}, {@code 1.5h}, {@code 500ms}, {@code 0}); sscsi takes
 * no negative durations, except where upstream gives them a meaning ({@link Signed}). No library
 * parses Go durations, so this class does, and nothing else.
 */
public final class GoDuration implements ITypeConverter<Duration> {

  /** The converter for a flag upstream also takes negative ({@code -2m}). */
  public static final class Signed implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String s = value.trim();
      if (s.startsWith("-") && !s.startsWith("-+")) {
        return parse(s.substring(1)).negated();
      }
      return parse(s);
    }
  }

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  public static Duration parse(String text) {
    String s = text.trim();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty() || s.startsWith("-")) {
      throw new IllegalArgumentException("'" + text + "' is not a duration like 2m, 30s or 1h30m");
    }
    if (s.startsWith("+")) {
      s = s.substring(1);
    }
    Matcher m = PART.matcher(s);
    long nanos = 0;
    int at = 0;
    while (at < s.length()) {
      if (!m.find(at) || m.start() != at) {
        throw new IllegalArgumentException("'" + text + "' is not a duration like 2m, 30s or 1h30m");
      }
      nanos += Math.round(Double.parseDouble(m.group(1)) * unitNanos(m.group(2)));
      at = m.end();
    }
    return Duration.ofNanos(nanos);
  }

  private static double unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1;
      case "us", "µs" -> 1e3;
      case "ms" -> 1e6;
      case "s" -> 1e9;
      case "m" -> 60e9;
      default -> 3600e9; // h
    };
  }

  /** The HOCON form of a duration, for the config key a flag sets. */
  public static String hocon(Duration d) {
    return d.toNanos() + "ns";
  }
}
