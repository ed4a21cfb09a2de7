package io.sscsi.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import io.sscsi.config.GoInt;

/**
 * The flags klog's {@code InitFlags} registers on upstream's binary, so manifests written for
 * upstream start this driver unchanged: they are rows of {@link DriverFlags}' table (hidden from the
 * usage), their values checked with klog's own syntax by the readers here (a bad one stops the
 * driver as it stops upstream's). None changes what the driver does, because logback, not klog,
 * writes our logs ({@code -v} is the one that matters and sets the log level).
 * {@link #warnings()} names the settings whose effect upstream would differ from ours.
 */
public final class KlogFlags {
  private final Map<String, Object> values;

  /** @param values the driver's flag values by name, as {@link DriverFlags#values} reads them (read when asked) */
  KlogFlags(Map<String, Object> values) {
    this.values = values;
  }

  /** What upstream would do differently with the klog flags given; empty when nothing. */
  public List<String> warnings() {
    List<String> out = new ArrayList<>();
    boolean files = !values.getOrDefault("log_dir", "").equals("") || !values.getOrDefault("log_file", "").equals("");
    if (files && Boolean.FALSE.equals(values.get("logtostderr"))) {
      out.add("--log_dir/--log_file: klog's log files are not written; logs go to the console");
    }
    if (!values.getOrDefault("vmodule", "").equals("")) {
      out.add("--vmodule is ignored: -v sets one level for the whole driver");
    }
    return out;
  }

  /** klog's severity flag: a name (any case) or an integer. */
  static String severity(String value) {
    switch (value.toUpperCase(Locale.ROOT)) {
      case "INFO", "WARNING", "ERROR", "FATAL":
        return value;
      default:
        new GoInt.Level().convert(value);
        return value;
    }
  }

  /** klog's {@code -vmodule}: comma-separated {@code pattern=N}, N a non-negative integer. */
  static String moduleSpec(String value) {
    for (String entry : value.split(",", -1)) {
      if (entry.isEmpty()) {
        continue;
      }
      String[] patternLevel = entry.split("=", -1);
      if (patternLevel.length != 2 || patternLevel[0].isEmpty() || patternLevel[1].isEmpty()) {
        throw new IllegalArgumentException("syntax error: expect comma-separated list of filename=N");
      }
      int level;
      try {
        level = new GoInt.Level().convert(patternLevel[1]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("syntax error: expect comma-separated list of filename=N");
      }
      if (level < 0) {
        throw new IllegalArgumentException("negative value for vmodule level");
      }
    }
    return value;
  }

  /** klog's {@code -log_backtrace_at}: empty, or {@code file.go:N} with N positive. */
  static String traceLocation(String value) {
    if (value.isEmpty()) {
      return value;
    }
    String[] fileLine = value.split(":", -1);
    if (fileLine.length != 2 || !fileLine[0].contains(".") || !fileLine[1].matches("[+-]?\\d+")) {
      throw new IllegalArgumentException("syntax error: expect file.go:234");
    }
    if (Long.parseLong(fileLine[1]) <= 0) {
      throw new IllegalArgumentException("negative or zero value for level");
    }
    return value;
  }
}
