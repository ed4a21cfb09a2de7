package io.sscsi.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sscsi.DriverProcess;
import io.sscsi.Guardian;
import io.sscsi.config.DriverSettings;
import io.sscsi.config.GoFlags;
import io.sscsi.config.LogFormat;
import io.sscsi.config.SscsiVersion;
import io.sscsi.fs.Mounter;
import io.sscsi.k8s.KubeClientFactory;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.admin.Readiness;
import io.sscsi.k8s.KubeClassCache;
import io.sscsi.k8s.KubeEventRecorder;
import io.sscsi.k8s.KubeNodePublishSecrets;
import io.sscsi.k8s.KubeReachability;
import io.sscsi.sync.SecretSyncApi;
import io.sscsi.local.LocalMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sscsi driver}: the CSI node driver. Its flags are {@link DriverFlags}' table: upstream's
 * names and defaults, each one only setting a HOCON key (see sscsi.conf), so every setting can also
 * come from a config file. With {@code --local-classes} it runs without a cluster ({@link LocalMode}).
 * {@link #run} reads the command line with Go's flag rules ({@link GoFlags}: single or double dash,
 * repeated flags, klog's flags) from the table alone, so upstream's manifests work unchanged and
 * nothing of picocli loads before the CSI socket answers; picocli sees this command only through
 * {@link DriverUsage} (the usage, the {@code sscsi} command's list).
 */
@Command(name = "driver", description = "Run the CSI node driver", sortOptions = false)
public final class DriverCommand implements Callable<Integer> {

  /** The flags given, by name without dashes, as the table's readers read them. */
  final Map<String, Object> given;

  /** klog's flags among them. */
  final KlogFlags klog;

  public DriverCommand() {
    this(new HashMap<>());
  }

  private DriverCommand(Map<String, Object> given) {
    this.given = given;
    this.klog = new KlogFlags(given);
  }

  /** picocli's model of this command (built only when picocli is asked): the table's options, parsed into {@link #given}. */
  @Spec
  void spec(CommandSpec spec) {
    DriverUsage.addOptions(spec, given);
  }

  /**
   * Runs {@code sscsi driver} with {@code args} (what follows {@code driver}): reads them with Go's
   * flag rules from the table, then starts the driver and blocks until it stops.
   *
   * @return the exit code: 0 after a clean stop or the usage, 1 when the driver failed, 2 for a command
   *     line Go's flag package (or a flag's reader) refuses
   */
  public static int run(List<String> args, PrintWriter out, PrintWriter err) {
    Map<String, Object> values;
    try {
      GoFlags.Parsed parsed = DriverFlags.goFlags().parse(args);
      if (parsed.helpAsked()) {
        CommandLine usage = new CommandLine(new DriverCommand());
        usage.setCommandName("sscsi driver");
        usage.usage(out);
        out.flush();
        return 0;
      }
      if (!parsed.leftOver().isEmpty()) {
        err.println("sscsi driver: ignoring the arguments after the flags, as upstream does: "
            + String.join(" ", parsed.leftOver()));
      }
      values = DriverFlags.values(parsed.args());
    } catch (IllegalArgumentException e) { // GoFlags.BadFlag, DriverFlags.BadValue
      err.println("sscsi driver: " + e.getMessage());
      return 2;
    }
    return new DriverCommand(values).start(err);
  }

  /** The HOCON overrides the given flags stand for. */
  Map<String, Object> overrides() {
    return DriverFlags.overrides(given);
  }

  /**
   * Go's flag rules for this command's options: every long name without its dashes, boolean
   * options marked so (they take a value only attached). Help is left to {@link GoFlags}.
   */
  public static GoFlags goFlags(CommandSpec spec) {
    Map<String, GoFlags.Kind> kinds = new HashMap<>();
    for (OptionSpec option : spec.options()) {
      if (option.usageHelp()) {
        continue;
      }
      Class<?> type = option.typeInfo().getType();
      GoFlags.Kind kind = type == Boolean.class || type == boolean.class ? GoFlags.Kind.BOOL : GoFlags.Kind.VALUE;
      for (String name : option.names()) {
        kinds.put(name.replaceFirst("^-+", ""), kind);
      }
    }
    return new GoFlags(kinds);
  }

  /**
   * The settings the CSI socket needs, read before it answers: the flags over system properties over
   * {@code application.conf} over sscsi's own defaults ({@code sscsi.conf}), as {@link #fullConfig}
   * orders them, without parsing every library's {@code reference.conf}.
   */
  Config config() {
    return ConfigFactory.parseMap(overrides()).withFallback(ConfigFactory.defaultOverrides())
        .withFallback(ConfigFactory.defaultApplication()).withFallback(ConfigFactory.parseResources("sscsi.conf"))
        .resolve();
  }

  /** Every setting (pekko's and Kamon's too), read on the core's start thread. */
  Config fullConfig() {
    return ConfigFactory.parseMap(overrides()).withFallback(ConfigFactory.load()).resolve();
  }

  /** Checks that no single setting can catch: flags accepted only for compatibility. */
  private void checkCompatibilityFlags() {
    Object metricsBackend = given.get("metrics-backend");
    if (metricsBackend != null && !((String) metricsBackend).equalsIgnoreCase("prometheus")) {
      throw new IllegalArgumentException("--metrics-backend " + metricsBackend + " is not supported: only Prometheus");
    }
  }

  /** picocli's entry, for a caller that runs this command through picocli rather than {@link #run}. */
  @Override
  public Integer call() {
    return start(new PrintWriter(System.err, true));
  }

  private int start(PrintWriter err) {
    if (Boolean.TRUE.equals(given.get("version"))) {
      System.out.println(SscsiVersion.json());
      return 0;
    }
    Config config;
    try {
      checkCompatibilityFlags();
      config = config();
      LogFormat.apply(config);
    } catch (RuntimeException e) {
      err.println("sscsi driver: " + e.getMessage());
      return 2;
    }
    if (Boolean.TRUE.equals(given.get("enable-pprof"))) {
      org.slf4j.LoggerFactory.getLogger(DriverCommand.class)
          .warn("--enable-pprof is ignored: the JVM has no pprof; use jcmd <pid> Thread.print or JFR");
    }
    klog.warnings().forEach(org.slf4j.LoggerFactory.getLogger(DriverCommand.class)::warn);
    DriverSettings settings;
    Optional<LocalMode> local;
    Mounter mounter;
    try {
      settings = DriverSettings.from(config);
      local = LocalMode.from(config);
      mounter = LocalMode.mounter(config, local);
    } catch (RuntimeException e) {
      err.println("sscsi driver: " + e.getMessage());
      return 2;
    }
    Supplier<DriverProcess.Core> core;
    if (local.isPresent()) {
      core = () -> {
        local.get().announce();
        return new DriverProcess.Core(new Guardian.Edges(local.get().classes(), local.get().statuses(), mounter), () -> {});
      };
    } else {
      core = () -> clusterCore(settings, mounter);
    }
    // One shutdown hook, registered before the bind, so a SIGTERM at any moment of the start (even
    // the instant the socket file appears) unbinds and removes what this process published. It waits
    // for serve to finish (a failed serve has already removed its hidden name), then stops the driver:
    // close() is idempotent with CoordinatedShutdown's own unbind.
    CompletableFuture<DriverProcess> serving = new CompletableFuture<>();
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> stopOnceServed(serving), "sscsi-stop"));
    } catch (IllegalStateException shuttingDown) {
      return 0; // terminated before anything was bound
    }
    DriverProcess process;
    try {
      process = DriverProcess.serve(settings, config, this::fullConfig, core);
      serving.complete(process);
    } catch (IOException e) {
      org.slf4j.LoggerFactory.getLogger(DriverCommand.class).error("{}", e.getMessage());
      return 1;
    } finally {
      serving.complete(null); // nothing left to stop: a failed serve has closed what it bound
    }
    return process.awaitExit();
  }

  /** {@code /readyz}'s check of the API server's watches, with the settings' {@code watch-stale-after}. */
  static Readiness apiServerReadiness(DriverSettings settings, java.util.function.LongSupplier nanoTime,
      KubeReachability.Watched... watched) {
    KubeReachability reachability = new KubeReachability(
        new io.sscsi.k8s.WatchLiveness(settings.watchStaleAfter(), nanoTime), watched);
    return new Readiness().add("api-server", reachability::problem);
  }

  /** The shutdown hook: waits for the socket's start to end, then stops what it published. */
  private static void stopOnceServed(CompletableFuture<DriverProcess> serving) {
    DriverProcess served = serving.join();
    if (served != null) {
      served.close();
    }
  }

  /**
   * The API server's parts, built when the core starts (not before the CSI socket answers); the
   * watches start after the first volume call was answered (a class read before that is a GET).
   */
  static DriverProcess.Core clusterCore(DriverSettings settings, Mounter mounter) {
    KubeConnection kube = KubeClientFactory.create(
        KubeClientFactory.Settings.defaults(settings.kubeconfig(), SscsiVersion.current()));
    KubeClassCache classes = new KubeClassCache(kube);
    KubeNodePublishSecrets publishSecrets = new KubeNodePublishSecrets(kube, settings.driverName());
    KubeEventRecorder recorder = new KubeEventRecorder(kube, settings.nodeId());
    KubePodStatusStore statuses = new KubePodStatusStore(kube);
    Guardian.Edges edges = new Guardian.Edges(classes, statuses, mounter,
        Optional.of(new SecretSyncApi(kube, statuses, settings.secretOwners())), classes,
        apiServerReadiness(settings, System::nanoTime, classes, publishSecrets), recorder::warnPod, publishSecrets);
    return new DriverProcess.Core(edges, () -> {
      classes.close(); // stop the watches before their connection goes
      publishSecrets.close();
      kube.close();
    }, () -> {
      classes.start();
      publishSecrets.start();
    });
  }
}
