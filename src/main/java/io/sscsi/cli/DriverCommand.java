package io.sscsi.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sscsi.DriverProcess;
import io.sscsi.Guardian;
import io.sscsi.config.DriverSettings;
import io.sscsi.config.GoBool;
import io.sscsi.config.GoDuration;
import io.sscsi.config.GoFlags;
import io.sscsi.config.GoInt;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sscsi driver}: the CSI node driver. Flags keep upstream's names and defaults; each one only
 * sets a HOCON key (see sscsi.conf), so every setting can also come from a config file. With
 * {@code --local-classes} it runs without a cluster ({@link LocalMode}). The command line is read
 * with Go's flag rules first ({@link #goFlags}: single or double dash, repeated flags, klog's flags),
 * so upstream's manifests work unchanged.
 */
@Command(name = "driver", description = "Run the CSI node driver", sortOptions = false)
public final class DriverCommand implements Callable<Integer> {

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
  boolean help;

  @Spec
  CommandSpec spec;

  @Option(names = "--version", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "print the version as JSON and exit")
  Boolean version;

  @Option(names = "--endpoint", description = "CSI endpoint (unix:///path)")
  String endpoint;

  @Option(names = "--drivername", description = "CSI driver name")
  String driverName;

  @Option(names = "--nodeid", description = "node id (the node's name)")
  String nodeId;

  @Option(names = "--provider-volume", description = "provider socket directory, searched last")
  String providerVolume;

  @Option(names = "--additional-provider-volume-paths", description = "comma-separated provider socket directories, searched first")
  String additionalProviderPaths;

  @Option(names = "--max-call-recv-msg-size", converter = GoInt.Base0.class,
      description = "largest provider response in bytes")
  Integer maxCallRecvMsgSize;

  @Option(names = "--kubeconfig", description = "kubeconfig path (default: in-cluster)")
  String kubeconfig;

  @Option(names = "--metrics-addr", description = "Prometheus endpoint, host:port or :port (default :8095); empty = off")
  String metricsAddr;

  @Option(names = "--metrics-backend", description = "metrics exporter: only Prometheus (upstream's default)")
  String metricsBackend;

  @Option(names = "--admin-addr", description = "admin endpoint, host:port (default 127.0.0.1:8096); empty = off")
  String adminAddr;

  @Option(names = "--enable-secret-rotation", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "refresh mounted volumes from their provider")
  Boolean enableSecretRotation;

  @Option(names = "--rotation-poll-interval", converter = GoDuration.Signed.class,
      description = "at most one provider call per volume per interval (Go duration, default 2m); 0: every"
          + " kubelet republish calls the provider")
  java.time.Duration rotationPollInterval;

  @Option(names = "--provider-health-check", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "call each provider's Version RPC periodically; /readyz reports unhealthy providers")
  Boolean providerHealthCheck;

  @Option(names = "--provider-health-check-interval", converter = GoDuration.class,
      description = "interval of the provider health check (Go duration, default 2m)")
  java.time.Duration providerHealthCheckInterval;

  @Option(names = "--log-format-json", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "log one JSON object per line")
  Boolean logFormatJson;

  @Option(names = "--v", converter = GoInt.Level.class,
      description = "klog verbosity: 0-1 INFO, 2-4 DEBUG, 5+ TRACE (requests stay sanitised)")
  Integer verbosity;

  @Option(names = "--enable-pprof", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "accepted for compatibility; the JVM has no pprof (use jcmd or JFR)")
  Boolean enablePprof;

  @Option(names = "--pprof-port", converter = GoInt.Base0.class, description = "accepted for compatibility; unused")
  Integer pprofPort;

  @Option(names = "--tmpfs-mount-options", paramLabel = "OPTS",
      description = "options of each volume's tmpfs, e.g. nosuid,nodev,noexec,mode=0755 (default: none, as upstream)")
  String tmpfsMountOptions;

  @Option(names = "--strict-payload", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "refuse provider files with a mode outside 0..0777 or a path twice (default: upstream's"
          + " mode & 0777, last duplicate wins)")
  Boolean strictPayload;

  @Option(names = "--secret-owner", paramLabel = "workload|pod-status",
      description = "who owns a synced Secret: workload = the mounting pods' owners, kept until the garbage collector"
          + " removes it (default, as upstream); pod-status = each pod's SecretProviderClassPodStatus, deleted with the last"
          + " mounting pod")
  String secretOwner;

  @Mixin
  KlogFlags klog;

  @Option(names = "--kubelet-dir", paramLabel = "DIR",
      description = "kubelet's root directory (default /var/lib/kubelet): volumes still mounted under DIR/pods are recovered at start")
  String kubeletDir;

  @Option(names = "--local-classes", paramLabel = "DIR",
      description = "local mode, no cluster: read SecretProviderClass manifests from DIR instead of the API server")
  String localClasses;

  @Option(names = "--local-state", paramLabel = "DIR",
      description = "local mode: where pod status files go (default: a new temporary directory)")
  String localState;

  @Option(names = "--no-tmpfs", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "local mode on a laptop only: volumes are plain directories, secrets land on disk")
  Boolean noTmpfs;

  /** The HOCON overrides the given flags stand for. */
  Map<String, Object> overrides() {
    Map<String, Object> o = new HashMap<>();
    String p = "sscsi.driver.";
    if (endpoint != null) o.put(p + "endpoint", endpoint);
    if (driverName != null) o.put(p + "driver-name", driverName);
    if (nodeId != null) o.put(p + "node-id", nodeId);
    if (providerVolume != null) o.put(p + "provider-volume", providerVolume);
    if (additionalProviderPaths != null) {
      List<String> dirs = Arrays.stream(additionalProviderPaths.split(",")).map(String::trim)
          .filter(s -> !s.isEmpty()).toList();
      o.put(p + "additional-provider-volume-paths", dirs);
    }
    if (maxCallRecvMsgSize != null) o.put(p + "max-call-recv-msg-size", maxCallRecvMsgSize);
    if (kubeconfig != null) o.put(p + "kubeconfig", kubeconfig);
    if (localClasses != null) o.put(p + "local-classes", localClasses);
    if (localState != null) o.put(p + "local-state", localState);
    if (noTmpfs != null) o.put(p + "tmpfs", !noTmpfs);
    if (tmpfsMountOptions != null) o.put(p + "tmpfs-mount-options", tmpfsMountOptions);
    if (strictPayload != null) o.put(p + "strict-payload", strictPayload);
    if (secretOwner != null) o.put(p + "secret-owner", secretOwner);
    if (metricsAddr != null) o.put(p + "metrics-addr", metricsAddr);
    if (kubeletDir != null) o.put(p + "kubelet-dir", kubeletDir);
    if (adminAddr != null) o.put(p + "admin-addr", adminAddr);
    if (enableSecretRotation != null) o.put(p + "enable-secret-rotation", enableSecretRotation);
    if (rotationPollInterval != null) o.put(p + "rotation-poll-interval", GoDuration.hocon(rotationPollInterval));
    if (providerHealthCheck != null) o.put(p + "provider-health-check", providerHealthCheck);
    if (providerHealthCheckInterval != null) {
      o.put(p + "provider-health-check-interval", GoDuration.hocon(providerHealthCheckInterval));
    }
    if (logFormatJson != null) o.put(p + "log-format-json", logFormatJson);
    if (verbosity != null) o.put(p + "log-level", LogFormat.levelFor(verbosity));
    return o;
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
    if (metricsBackend != null && !metricsBackend.equalsIgnoreCase("prometheus")) {
      throw new IllegalArgumentException("--metrics-backend " + metricsBackend + " is not supported: only Prometheus");
    }
  }

  @Override
  public Integer call() {
    if (Boolean.TRUE.equals(version)) {
      System.out.println(SscsiVersion.json());
      return 0;
    }
    Config config;
    try {
      checkCompatibilityFlags();
      config = config();
      LogFormat.apply(config);
    } catch (RuntimeException e) {
      spec.commandLine().getErr().println("sscsi driver: " + e.getMessage());
      return 2;
    }
    if (Boolean.TRUE.equals(enablePprof)) {
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
      spec.commandLine().getErr().println("sscsi driver: " + e.getMessage());
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

  /** The API server's parts, built when the core starts (not before the CSI socket answers). */
  private static DriverProcess.Core clusterCore(DriverSettings settings, Mounter mounter) {
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
    });
  }
}
