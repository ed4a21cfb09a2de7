package io.sscsi.cli;

import io.sscsi.config.GoBool;
import io.sscsi.config.GoDuration;
import io.sscsi.config.GoFlags;
import io.sscsi.config.GoInt;
import io.sscsi.config.LogFormat;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The driver's flags in one table: each flag's name (upstream's and klog's, without dashes), whether
 * it is boolean, how its value is read (Go's syntax: {@link GoBool}, {@link GoInt}, {@link GoDuration}),
 * the HOCON key of sscsi.conf it sets (whose default is upstream's), its label and help. The driver's
 * command line is read from this table alone with Go's flag rules ({@link GoFlags}), so nothing of
 * picocli loads before the CSI socket answers; {@link DriverUsage} builds picocli's model from the
 * same table for {@code --help} and the {@code sscsi} command's listing.
 */
public final class DriverFlags {
  private DriverFlags() {}

  /**
   * One flag.
   *
   * @param setting the key under {@code sscsi.driver.} it sets, or null (a flag read elsewhere or only accepted)
   * @param toSetting the setting's value for the flag's converted value
   * @param label the value's name in the usage, e.g. {@code <endpoint>} or {@code DIR}
   * @param hidden left out of the usage (klog's flags)
   */
  public record Flag(String name, GoFlags.Kind kind, Function<String, Object> read, String setting,
      Function<Object, Object> toSetting, String label, String help, boolean hidden) {

    /** The flag's value, read with Go's syntax. */
    public Object read(String value) {
      return read.apply(value);
    }
  }

  private static final Function<String, Object> TEXT = s -> s;
  private static final Function<String, Object> BOOL = s -> new GoBool().convert(s);
  private static final Function<Object, Object> SAME = v -> v;
  private static final String KLOG_UNUSED = "klog: accepted, unused";

  /** Every flag, in the order of the usage. */
  public static final List<Flag> ALL = List.of(
      bool("version", null, "print the version as JSON and exit"),
      text("endpoint", "endpoint", "<endpoint>", "CSI endpoint (unix:///path)"),
      text("drivername", "driver-name", "<driverName>", "CSI driver name"),
      text("nodeid", "node-id", "<nodeId>", "node id (the node's name)"),
      text("provider-volume", "provider-volume", "<providerVolume>", "provider socket directory, searched last"),
      new Flag("additional-provider-volume-paths", GoFlags.Kind.VALUE, TEXT, "additional-provider-volume-paths",
          v -> Arrays.stream(((String) v).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
          "<additionalProviderPaths>", "comma-separated provider socket directories, searched first", false),
      value("max-call-recv-msg-size", s -> new GoInt.Base0().convert(s), "max-call-recv-msg-size", SAME,
          "<maxCallRecvMsgSize>", "largest provider response in bytes"),
      text("kubeconfig", "kubeconfig", "<kubeconfig>", "kubeconfig path (default: in-cluster)"),
      text("metrics-addr", "metrics-addr", "<metricsAddr>",
          "Prometheus endpoint, host:port or :port (default :8095); empty = off"),
      text("metrics-backend", null, "<metricsBackend>", "metrics exporter: only Prometheus (upstream's default)"),
      text("admin-addr", "admin-addr", "<adminAddr>", "admin endpoint, host:port (default 127.0.0.1:8096); empty = off"),
      bool("enable-secret-rotation", "enable-secret-rotation", "refresh mounted volumes from their provider"),
      value("rotation-poll-interval", s -> new GoDuration.Signed().convert(s), "rotation-poll-interval",
          v -> GoDuration.hocon((Duration) v), "<rotationPollInterval>",
          "at most one provider call per volume per interval (Go duration, default 2m); 0: every"
              + " kubelet republish calls the provider"),
      bool("provider-health-check", "provider-health-check",
          "call each provider's Version RPC periodically; /readyz reports unhealthy providers"),
      value("provider-health-check-interval", s -> new GoDuration().convert(s), "provider-health-check-interval",
          v -> GoDuration.hocon((Duration) v), "<providerHealthCheckInterval>",
          "interval of the provider health check (Go duration, default 2m)"),
      bool("log-format-json", "log-format-json", "log one JSON object per line"),
      value("v", s -> new GoInt.Level().convert(s), "log-level", v -> LogFormat.levelFor((Integer) v), "<verbosity>",
          "klog verbosity: 0-1 INFO, 2-4 DEBUG, 5+ TRACE (requests stay sanitised)"),
      bool("enable-pprof", null, "accepted for compatibility; the JVM has no pprof (use jcmd or JFR)"),
      value("pprof-port", s -> new GoInt.Base0().convert(s), null, SAME, "<pprofPort>",
          "accepted for compatibility; unused"),
      text("tmpfs-mount-options", "tmpfs-mount-options", "OPTS",
          "options of each volume's tmpfs, e.g. nosuid,nodev,noexec,mode=0755 (default: none, as upstream)"),
      bool("strict-payload", "strict-payload",
          "refuse provider files with a mode outside 0..0777 or a path twice (default: upstream's"
              + " mode & 0777, last duplicate wins)"),
      text("secret-owner", "secret-owner", "workload|pod-status",
          "who owns a synced Secret: workload = the mounting pods' owners, kept until the garbage collector"
              + " removes it (default, as upstream); pod-status = each pod's SecretProviderClassPodStatus, deleted"
              + " with the last mounting pod"),
      klog("log_dir", TEXT, "klog: accepted; logs go to the console"),
      klog("log_file", TEXT, "klog: accepted; logs go to the console"),
      klog("log_file_max_size", s -> new GoInt.Unsigned().convert(s), KLOG_UNUSED),
      klogBool("logtostderr", "klog: accepted; logs go to the console either way"),
      klogBool("alsologtostderr", KLOG_UNUSED),
      klogBool("add_dir_header", KLOG_UNUSED),
      klogBool("skip_headers", KLOG_UNUSED),
      klogBool("skip_log_headers", KLOG_UNUSED),
      klogBool("one_output", KLOG_UNUSED),
      klogBool("legacy_stderr_threshold_behavior", KLOG_UNUSED),
      klog("stderrthreshold", KlogFlags::severity, "klog: accepted, unused (INFO, WARNING, ERROR, FATAL or a number)"),
      klog("vmodule", KlogFlags::moduleSpec, "klog: accepted, unused (pattern=N,...)"),
      klog("log_backtrace_at", KlogFlags::traceLocation, "klog: accepted, unused (file.go:N)"),
      text("kubelet-dir", "kubelet-dir", "DIR",
          "kubelet's root directory (default /var/lib/kubelet): volumes still mounted under DIR/pods are recovered at start"),
      text("local-classes", "local-classes", "DIR",
          "local mode, no cluster: read SecretProviderClass manifests from DIR instead of the API server"),
      text("local-state", "local-state", "DIR",
          "local mode: where pod status files go (default: a new temporary directory)"),
      new Flag("no-tmpfs", GoFlags.Kind.BOOL, BOOL, "tmpfs", v -> !(Boolean) v, null,
          "local mode on a laptop only: volumes are plain directories, secrets land on disk", false));

  private static final Map<String, Flag> BY_NAME = byName();

  private static Map<String, Flag> byName() {
    Map<String, Flag> m = new LinkedHashMap<>();
    ALL.forEach(f -> m.put(f.name(), f));
    return m;
  }

  private static Flag text(String name, String setting, String label, String help) {
    return new Flag(name, GoFlags.Kind.VALUE, TEXT, setting, SAME, label, help, false);
  }

  private static Flag value(String name, Function<String, Object> read, String setting,
      Function<Object, Object> toSetting, String label, String help) {
    return new Flag(name, GoFlags.Kind.VALUE, read, setting, toSetting, label, help, false);
  }

  private static Flag bool(String name, String setting, String help) {
    return new Flag(name, GoFlags.Kind.BOOL, BOOL, setting, SAME, null, help, false);
  }

  private static Flag klog(String name, Function<String, Object> read, String help) {
    return new Flag(name, GoFlags.Kind.VALUE, read, null, SAME, null, help, true);
  }

  private static Flag klogBool(String name, String help) {
    return new Flag(name, GoFlags.Kind.BOOL, BOOL, null, SAME, null, help, true);
  }

  /** The flag called {@code name} (without dashes), or null. */
  public static Flag named(String name) {
    return BY_NAME.get(name);
  }

  /** Go's flag rules for the table's flags ({@code -h} and {@code -help} ask for the usage). */
  public static GoFlags goFlags() {
    Map<String, GoFlags.Kind> kinds = new HashMap<>();
    ALL.forEach(f -> kinds.put(f.name(), f.kind()));
    return new GoFlags(kinds);
  }

  /** A flag's value that its reader refuses; the message names the flag as {@code --name}. */
  public static final class BadValue extends IllegalArgumentException {
    BadValue(Flag flag, String value, RuntimeException why) {
      super("invalid value \"" + value + "\" for --" + flag.name() + ": " + why.getMessage());
    }
  }

  /**
   * The values of the flags given ({@code --name=value}, as {@link GoFlags} rewrites them), by name.
   *
   * @throws BadValue for a value its flag's reader refuses
   */
  public static Map<String, Object> values(List<String> rewritten) {
    Map<String, Object> values = new HashMap<>();
    for (String arg : rewritten) {
      int eq = arg.indexOf('=');
      Flag flag = BY_NAME.get(arg.substring(2, eq));
      String value = arg.substring(eq + 1);
      try {
        values.put(flag.name(), flag.read(value));
      } catch (RuntimeException e) {
        throw new BadValue(flag, value, e);
      }
    }
    return values;
  }

  /** The HOCON overrides ({@code sscsi.driver.*}) the given values stand for. */
  public static Map<String, Object> overrides(Map<String, Object> values) {
    Map<String, Object> o = new HashMap<>();
    values.forEach((name, value) -> {
      Flag flag = BY_NAME.get(name);
      if (flag != null && flag.setting() != null) {
        o.put("sscsi.driver." + flag.setting(), flag.toSetting().apply(value));
      }
    });
    return o;
  }
}
