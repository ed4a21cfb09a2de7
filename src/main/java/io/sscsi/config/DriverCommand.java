package io.sscsi.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sscsi.Guardian;
import io.sscsi.fs.Mounter;
import io.sscsi.k8s.KubeClientFactory;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.k8s.KubeProviderClassSource;
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
import picocli.CommandLine.Option;

/**
 * {@code sscsi driver}: the CSI node driver. Flags keep upstream's names and defaults; each one only
 * sets a HOCON key (see reference.conf), so every setting can also come from a config file. With
 * {@code --local-classes} it runs without a cluster ({@link LocalMode}).
 */
@Command(name = "driver", mixinStandardHelpOptions = true, description = "Run the CSI node driver")
public final class DriverCommand implements Callable<Integer> {

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
    return o;
  }

  Config config() {
    return ConfigFactory.parseMap(overrides()).withFallback(ConfigFactory.load()).resolve();
  }

  @Override
  public Integer call() {
    Config config = config();
    DriverSettings settings;
    Optional<LocalMode> local;
    Mounter mounter;
    try {
      settings = DriverSettings.from(config);
      local = LocalMode.from(config);
      mounter = LocalMode.mounter(config, local);
    } catch (RuntimeException e) {
      System.err.println("sscsi driver: " + e.getMessage());
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
      edges = new Guardian.Edges(new KubeProviderClassSource(kube), new KubePodStatusStore(kube), mounter);
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
