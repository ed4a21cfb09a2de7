package io.sscsi.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sscsi.DriverProcess;
import io.sscsi.Guardian;
import io.sscsi.config.DriverSettings;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.k8s.KubeClassCache;
import io.sscsi.k8s.KubeTestConnections;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import io.sscsi.volume.VolumeActor;
import io.sscsi.volume.VolumeRouter;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The real driver in-process: the Guardian with its real CSI unix socket, real provider sockets
 * directory, real tmpfs mounts (through jnr) and the given fabric8 client as the API server.
 * Everything lives under a fresh directory laid out like kubelet's ({@code pods/<uid>/volumes/...}).
 */
public final class DriverHarness implements AutoCloseable {
  public final Path root;
  public final Path socket;
  public final Path providerDir;
  public final ActorSystem<Void> system;
  public final Guardian.Started started;
  private final DriverProcess process;
  private final JnrMounter mounter = new JnrMounter();
  private final KubeClassCache classCache;
  private io.sscsi.k8s.KubeNodePublishSecrets publishSecrets;
  private io.sscsi.admin.Readiness readiness;

  private DriverHarness(KubernetesClient client, Map<String, Object> overrides, Path existingRoot) throws IOException {
    this(client, overrides, existingRoot, java.util.function.UnaryOperator.identity());
  }

  private DriverHarness(KubernetesClient client, Map<String, Object> overrides, Path existingRoot,
      java.util.function.UnaryOperator<io.sscsi.fs.Mounter> mounterSeam) throws IOException {
    root = existingRoot != null ? existingRoot : Files.createTempDirectory("sscsi-test-");
    socket = root.resolve("csi/csi.sock");
    providerDir = Files.createDirectories(root.resolve("providers"));
    Map<String, Object> o = new HashMap<>();
    o.put("sscsi.driver.endpoint", "unix://" + socket);
    o.put("sscsi.driver.node-id", "node-1");
    o.put("sscsi.driver.provider-volume", providerDir.toString());
    o.put("sscsi.driver.additional-provider-volume-paths", List.of());
    o.put("sscsi.driver.metrics-addr", "127.0.0.1:0");
    o.put("sscsi.driver.admin-addr", "127.0.0.1:0");
    o.put("sscsi.driver.kubelet-dir", root.toString());
    o.put("sscsi.driver.core-start-wait", "0s");
    o.putAll(overrides);
    Config config = ConfigFactory.parseMap(o).withFallback(ConfigFactory.load()).resolve();
    var kube = KubeTestConnections.of(client);
    classCache = new KubeClassCache(kube);
    publishSecrets = new io.sscsi.k8s.KubeNodePublishSecrets(kube, "secrets-store.csi.k8s.io");
    readiness = new io.sscsi.admin.Readiness()
        .add("api-server", new io.sscsi.k8s.KubeReachability(classCache, publishSecrets)::problem);
    KubePodStatusStore statuses = new KubePodStatusStore(kube);
    DriverSettings settings = DriverSettings.from(config);
    Guardian.Edges edges = new Guardian.Edges(classCache, statuses, mounterSeam.apply(mounter),
        java.util.Optional.of(new io.sscsi.sync.SecretSyncApi(kube, statuses, settings.secretOwners())), classCache, readiness,
        new io.sscsi.k8s.KubeEventRecorder(kube, "node-1")::warnPod, publishSecrets);
    process = DriverProcess.serve(settings, config, () -> new DriverProcess.Core(edges, () -> {}, () -> {
      classCache.start(); // as the driver starts them: after the first volume call (at once with core-start-wait 0)
      publishSecrets.start();
    }));
    started = process.core().join();
    system = process.system();
  }

  public static DriverHarness start(KubernetesClient client) throws IOException {
    return new DriverHarness(client, Map.of(), null);
  }

  public static DriverHarness start(KubernetesClient client, Map<String, Object> overrides) throws IOException {
    return new DriverHarness(client, overrides, null);
  }

  /**
   * A driver whose real mounter is wrapped by {@code seam}, for tests that act between the driver's
   * checks and its mount(2) (a racer on the node), deterministically.
   */
  public static DriverHarness startWithMounter(KubernetesClient client,
      java.util.function.UnaryOperator<io.sscsi.fs.Mounter> seam) throws IOException {
    return new DriverHarness(client, Map.of(), null, seam);
  }

  /** A new driver on the directory a {@link #crash()}ed one left, mounts and all. */
  public static DriverHarness restartOn(KubernetesClient client, Path root) throws IOException {
    return new DriverHarness(client, Map.of(), root);
  }

  /** What {@code /readyz} reports: the CSI socket, the API server (from the watches) and so on. */
  public io.sscsi.admin.Readiness.Report readiness() {
    return readiness.check();
  }

  /** Stops the driver as a crash would: no unpublish, mounts and files stay. */
  public void crash() {
    process.close();
    classCache.close();
    publishSecrets.close();
  }

  /** Kubelet's target path for volume {@code volume} of pod {@code podUid}. */
  public Path target(String podUid, String volume) {
    return root.resolve("pods").resolve(podUid).resolve("volumes/kubernetes.io~csi").resolve(volume).resolve("mount");
  }

  public CsiClient client() {
    return new CsiClient(socket);
  }

  public TestProvider provider(String name) throws IOException {
    return TestProvider.start(providerDir, name);
  }

  /** Whether the driver's watch of nodePublishSecretRef Secrets (labelled used=true) has seen this Secret. */
  public boolean watches(String namespace, String secret) {
    return publishSecrets.data(namespace, secret).isPresent();
  }

  /** Every mount under this harness's directory. */
  public List<MountEntry> mounts() {
    return new MountTable().under(root);
  }

  public int volumeActors() {
    return AskPattern.<VolumeRouter.Command, List<ActorRef<VolumeActor.Command>>>ask(started.router(),
        VolumeRouter.ListVolumes::new, Duration.ofSeconds(5), system.scheduler()).toCompletableFuture().join().size();
  }

  /** Every volume actor's view, as the admin endpoint shows them. */
  public List<io.sscsi.volume.VolumeView> volumeViews() {
    List<org.apache.pekko.actor.typed.ActorRef<io.sscsi.volume.VolumeActor.Command>> actors =
        AskPattern.<VolumeRouter.Command, List<org.apache.pekko.actor.typed.ActorRef<io.sscsi.volume.VolumeActor.Command>>>ask(
            started.router(), VolumeRouter.ListVolumes::new, Duration.ofSeconds(5), system.scheduler())
            .toCompletableFuture().join();
    return actors.stream().map(a -> AskPattern.<io.sscsi.volume.VolumeActor.Command, io.sscsi.volume.VolumeView>ask(
        a, io.sscsi.volume.VolumeActor.Describe::new, Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().join()).toList();
  }

  /**
   * Whether Secret sync has nothing running, queued or scheduled. A volume that has finished a
   * publish or refresh has told sync before it answers, so this also covers what it asked for.
   */
  public boolean secretSyncIdle() {
    tools.jackson.databind.JsonNode secrets = adminJson("/secrets");
    if (!secrets.get("syncEnabled").asBoolean()) {
      throw new IllegalStateException("/secrets says Secret sync is off");
    }
    for (tools.jackson.databind.JsonNode secret : secrets.get("secrets")) {
      if (secret.get("busy").asBoolean()) {
        return false;
      }
    }
    return true;
  }

  private static final java.net.http.HttpClient ADMIN_HTTP = java.net.http.HttpClient.newHttpClient();

  /** GETs {@code path} from this driver's admin endpoint and parses the JSON it answers. */
  public tools.jackson.databind.JsonNode adminJson(String path) {
    try {
      java.net.http.HttpResponse<String> response = ADMIN_HTTP.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + started.admin().getPort() + path)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
      }
      return tools.jackson.databind.json.JsonMapper.builder().build().readTree(response.body());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws IOException {
    process.close();
    classCache.close();
    publishSecrets.close();
    for (MountEntry m : mounts()) {
      mounter.unmount(m.mountPoint());
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
