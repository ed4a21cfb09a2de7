package io.sscsi.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sscsi.Guardian;
import io.sscsi.fs.JnrMounter;
import io.sscsi.k8s.KubeClientFactory;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.k8s.KubeProviderClassSource;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sscsi driver}: the CSI node driver. Flags keep upstream's names and defaults; each one only
 * sets a HOCON key (see reference.conf), so every setting can also come from a config file.
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
    return o;
  }

  Config config() {
    return ConfigFactory.parseMap(overrides()).withFallback(ConfigFactory.load()).resolve();
  }

  @Override
  public Integer call() {
    Config config = config();
    DriverSettings settings;
    try {
      settings = DriverSettings.from(config);
    } catch (RuntimeException e) {
      System.err.println("sscsi driver: " + e.getMessage());
      return 2;
    }
    KubeConnection kube = KubeClientFactory.create(
        KubeClientFactory.Settings.defaults(settings.kubeconfig(), SscsiVersion.current()));
    Guardian.Edges edges = new Guardian.Edges(
        new KubeProviderClassSource(kube), new KubePodStatusStore(kube), new JnrMounter());
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    ActorSystem<Void> system = ActorSystem.create(Guardian.create(settings, edges, started), "sscsi", config);
    try {
      started.join();
    } catch (RuntimeException e) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
      kube.close();
      return 1;
    }
    system.getWhenTerminated().toCompletableFuture().join();
    kube.close();
    return 0;
  }
}
