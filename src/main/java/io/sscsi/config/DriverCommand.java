package io.sscsi.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sscsi.Guardian;
import io.sscsi.fs.Mounter;
import io.sscsi.k8s.KubeClientFactory;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.admin.Readiness;
import io.sscsi.k8s.KubeClassCache;
import io.sscsi.k8s.KubeEventRecorder;
import io.sscsi.k8s.KubeNodePublishSecrets;
import io.sscsi.k8s.KubeReachability;
import io.sscsi.local.LocalMode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sscsi driver}: the CSI node driver. Flags keep upstream's names and defaults; each one only
 * sets a HOCON key (see reference.conf), so every setting can also come from a config file. With
 * {@code --local-classes} it runs without a cluster ({@link LocalMode}).
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

  @Option(names = "--max-call-recv-msg-size", description = "largest provider response in bytes")
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

  @Option(names = "--rotation-poll-interval", converter = GoDuration.class,
      description = "at most one provider call per volume per interval (Go duration, default 2m)")
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

  @Option(names = {"-v", "--v"}, description = "klog verbosity: 0-1 INFO, 2-4 DEBUG, 5+ TRACE (requests stay sanitised)")
  Integer verbosity;

  @Option(names = "--enable-pprof", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "accepted for compatibility; the JVM has no pprof (use jcmd or JFR)")
  Boolean enablePprof;

  @Option(names = "--pprof-port", description = "accepted for compatibility; unused")
  Integer pprofPort;

  @Option(names = "--kubelet-dir", paramLabel = "DIR",
      description = "kubelet's root directory (default /var/lib/kubelet): volumes still mounted under DIR/pods are recovered at start")
  String kubeletDir;

  @Option(names = "--local-classes", paramLabel = "DIR",
      description = "local mode, no cluster: read SecretProviderClass manifests from DIR instead of the API server")
  String localClasses;

  @Option(names = "--local-state", paramLabel = "DIR",
      description = "local mode: where pod status files go (default: a new temporary directory)")
  String localState;

  @Option(names = "--no-tmpfs",
      description = "local mode on a laptop only: volumes are plain directories, secrets land on disk")
  boolean noTmpfs;

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
    if (noTmpfs) o.put(p + "tmpfs", false);
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

  Config config() {
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
    KubeConnection kube = null;
    Guardian.Edges edges;
    if (local.isPresent()) {
      local.get().announce();
      edges = new Guardian.Edges(local.get().classes(), local.get().statuses(), mounter);
    } else {
      kube = KubeClientFactory.create(
          KubeClientFactory.Settings.defaults(settings.kubeconfig(), SscsiVersion.current()));
      KubeClassCache classes = new KubeClassCache(kube);
      KubeReachability reachability = new KubeReachability(kube, java.time.Duration.ofSeconds(10));
      KubeEventRecorder recorder = new KubeEventRecorder(kube, settings.nodeId());
      edges = new Guardian.Edges(classes, new KubePodStatusStore(kube), mounter,
          java.util.Optional.of(kube), classes,
          new Readiness().add("api-server", reachability::problem), recorder::warnPod,
          new KubeNodePublishSecrets(kube, settings.driverName()));
    }
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    ActorSystem<Void> system = ActorSystem.create(Guardian.create(settings, edges, started), "sscsi", config);
    int exit = 0;
    try {
      started.join();
    } catch (RuntimeException e) {
      system.terminate();
      exit = 1;
    }
    system.getWhenTerminated().toCompletableFuture().join();
    if (kube != null) {
      kube.close();
    }
    return exit;
  }
}
