package io.sscsi.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import io.sscsi.config.GoBool;
import io.sscsi.config.GoInt;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * The flags klog's {@code InitFlags} registers on upstream's binary, so manifests written for
 * upstream start this driver unchanged. Values are checked with klog's own syntax (a bad one stops
 * the driver as it stops upstream's); none changes what the driver does, because logback, not klog,
 * writes our logs ({@code -v} is the one that matters and lives in {@link DriverCommand}).
 * {@link #warnings()} names the settings whose effect upstream would differ from ours.
 */
public final class KlogFlags {

  @Option(names = "--log_dir", hidden = true, description = "klog: accepted; logs go to the console")
  String logDir;

  @Option(names = "--log_file", hidden = true, description = "klog: accepted; logs go to the console")
  String logFile;

  @Option(names = "--log_file_max_size", hidden = true, converter = GoInt.Unsigned.class,
      description = "klog: accepted, unused")
  Long logFileMaxSize;

  @Option(names = "--logtostderr", hidden = true, arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "klog: accepted; logs go to the console either way")
  Boolean logToStderr;

  @Option(names = "--alsologtostderr", hidden = true, arity = "0..1", fallbackValue = "true",
      converter = GoBool.class, description = "klog: accepted, unused")
  Boolean alsoLogToStderr;

  @Option(names = "--add_dir_header", hidden = true, arity = "0..1", fallbackValue = "true",
      converter = GoBool.class, description = "klog: accepted, unused")
  Boolean addDirHeader;

  @Option(names = "--skip_headers", hidden = true, arity = "0..1", fallbackValue = "true",
      converter = GoBool.class, description = "klog: accepted, unused")
  Boolean skipHeaders;

  @Option(names = "--skip_log_headers", hidden = true, arity = "0..1", fallbackValue = "true",
      converter = GoBool.class, description = "klog: accepted, unused")
  Boolean skipLogHeaders;

  @Option(names = "--one_output", hidden = true, arity = "0..1", fallbackValue = "true",
      converter = GoBool.class, description = "klog: accepted, unused")
  Boolean oneOutput;

  @Option(names = "--legacy_stderr_threshold_behavior", hidden = true, arity = "0..1", fallbackValue = "true",
      converter = GoBool.class, description = "klog: accepted, unused")
  Boolean legacyStderrThreshold;

  @Option(names = "--stderrthreshold", hidden = true, converter = Severity.class,
      description = "klog: accepted, unused (INFO, WARNING, ERROR, FATAL or a number)")
  String stderrThreshold;

  @Option(names = "--vmodule", hidden = true, converter = ModuleSpec.class,
      description = "klog: accepted, unused (pattern=N,...)")
  String vmodule;

  @Option(names = "--log_backtrace_at", hidden = true, converter = TraceLocation.class,
      description = "klog: accepted, unused (file.go:N)")
  String logBacktraceAt;

  /** What upstream would do differently with the klog flags given; empty when nothing. */
  public List<String> warnings() {
    List<String> out = new ArrayList<>();
    boolean files = (logDir != null && !logDir.isEmpty()) || (logFile != null && !logFile.isEmpty());
    if (files && Boolean.FALSE.equals(logToStderr)) {
      out.add("--log_dir/--log_file: klog's log files are not written; logs go to the console");
    }
    if (vmodule != null && !vmodule.isEmpty()) {
      out.add("--vmodule is ignored: -v sets one level for the whole driver");
    }
    return out;
  }

  /** klog's severity flag: a name (any case) or an integer. */
  public static final class Severity implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      switch (value.toUpperCase(Locale.ROOT)) {
        case "INFO", "WARNING", "ERROR", "FATAL":
          return value;
        default:
          new GoInt.Level().convert(value);
          return value;
      }
    }
  }

  /** klog's {@code -vmodule}: comma-separated {@code pattern=N}, N a non-negative integer. */
  public static final class ModuleSpec implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
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
  }

  /** klog's {@code -log_backtrace_at}: empty, or {@code file.go:N} with N positive. */
  public static final class TraceLocation implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
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
}
