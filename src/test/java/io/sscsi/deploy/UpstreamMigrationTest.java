package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.all;
import static io.sscsi.deploy.Manifests.container;
import static io.sscsi.deploy.Manifests.named;
import static io.sscsi.deploy.Manifests.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.TokenRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The swap of deploy/README.md: an operator's values file for upstream's chart 1.6.0
 * (src/test/resources/deploy/upstream-values-k0s.yaml: k0s kubelet root, tolerations, nodeSelector,
 * priority class, pull secrets, token requests, rotation, sync, health check, resources,
 * rbac.install=false, logVerbosity) rendered through the sscsi chart for release csi-secrets-store,
 * with only the driver image set on the command line. Each expectation is what upstream's templates
 * render for the same values, written out by hand from their rules; where sscsi renders more, the
 * additions are listed and checked as well. Needs helm ({@link Helm}); skipped without it.
 */
class UpstreamMigrationTest {

  static final String RELEASE = "csi-secrets-store";
  static final String ROOT = "/var/lib/k0s/kubelet";

  @TempDir
  static Path tmp;

  static List<HasMetadata> rendered;
  static DaemonSet ds;

  @BeforeAll
  static void render() throws Exception {
    if (!Helm.available()) {
      return; // each test is then skipped by requireHelm, and reported as skipped
    }
    rendered = Helm.template(tmp, RELEASE, Manifests.read(Path.of("src/test/resources/deploy/upstream-values-k0s.yaml")),
        "1.35.0", Map.of("linux.image.repository", "registry.example.com/sscsi/driver", "linux.image.tag", "0.1.0"));
    ds = only(rendered, DaemonSet.class);
  }

  @BeforeEach
  void requireHelm() {
    Helm.require();
  }

  // ---- what upstream's chart renders for these values ------------------------------------------

  /** Upstream's labels on every object: app, app.kubernetes.io/{instance,managed-by,name}, commonLabels. */
  static final Map<String, String> UPSTREAM_LABELS = Map.of(
      "app", "secrets-store-csi-driver",
      "app.kubernetes.io/instance", RELEASE,
      "app.kubernetes.io/managed-by", "Helm",
      "app.kubernetes.io/name", "secrets-store-csi-driver",
      "cost-center", "4711");

  /**
   * Upstream's driver args, in its order: -v (logVerbosity != 0), --log-format-json (true), endpoint and
   * node id through env, the providers dir and the joined additional dirs (the duplicate included),
   * rotation (true) and its interval (set), metrics address, health check (true) and its interval
   * (set), the message size (set).
   */
  static final List<String> UPSTREAM_DRIVER_ARGS = List.of(
      "-v=3",
      "--log-format-json=true",
      "--endpoint=$(CSI_ENDPOINT)",
      "--nodeid=$(KUBE_NODE_NAME)",
      "--provider-volume=/var/run/secrets-store-csi-providers",
      "--additional-provider-volume-paths=/etc/kubernetes/secrets-store-csi-providers,/var/run/secrets-store-csi-providers",
      "--enable-secret-rotation=true",
      "--rotation-poll-interval=3m",
      "--metrics-addr=:8095",
      "--provider-health-check=true",
      "--provider-health-check-interval=1m",
      "--max-call-recv-msg-size=8388608");

  /** Upstream's pod volumes: kubelet dirs under the k0s root, providers dir, additional dir 0 (1 is the duplicate), linux.volumes. */
  static final Map<String, String> UPSTREAM_HOST_PATHS = orderedMap(
      "mountpoint-dir", ROOT + "/pods|DirectoryOrCreate",
      "registration-dir", ROOT + "/plugins_registry/|Directory",
      "plugin-dir", ROOT + "/plugins/csi-secrets-store/|DirectoryOrCreate",
      "providers-dir", "/var/run/secrets-store-csi-providers|DirectoryOrCreate",
      "providers-dir-0", "/etc/kubernetes/secrets-store-csi-providers|DirectoryOrCreate");

  /** Upstream's driver mounts: name -> mountPath (and propagation), then linux.volumeMounts. */
  static final Map<String, String> UPSTREAM_DRIVER_MOUNTS = orderedMap(
      "plugin-dir", "/csi",
      "mountpoint-dir", ROOT + "/pods|Bidirectional",
      "providers-dir", "/var/run/secrets-store-csi-providers",
      "providers-dir-0", "/etc/kubernetes/secrets-store-csi-providers",
      "corp-ca", "/etc/ssl/corp");

  // ---- the comparisons ------------------------------------------------------------------------

  @Test
  void nameSelectorAndLabels() {
    assertEquals("csi-secrets-store-secrets-store-csi-driver", ds.getMetadata().getName());
    assertEquals("kube-system", ds.getMetadata().getNamespace());
    assertEquals(Map.of("app", "secrets-store-csi-driver"), ds.getSpec().getSelector().getMatchLabels());
    assertContains(UPSTREAM_LABELS, ds.getMetadata().getLabels(), "DaemonSet labels");
    assertEquals("platform-team", ds.getMetadata().getAnnotations().get("owner"), "daemonsetAnnotations");
    Map<String, String> podLabels = new LinkedHashMap<>(UPSTREAM_LABELS);
    podLabels.put("team", "platform");
    assertContains(podLabels, ds.getSpec().getTemplate().getMetadata().getLabels(), "pod labels (+ podLabels)");
    assertEquals(Map.of("kubectl.kubernetes.io/default-container", "secrets-store", "prometheus.io/scrape", "true"),
        ds.getSpec().getTemplate().getMetadata().getAnnotations());
    // sscsi's differences: its own version and chart labels, and part-of
    Map<String, String> labels = ds.getMetadata().getLabels();
    assertEquals("sscsi", labels.get("app.kubernetes.io/part-of"));
    assertTrue(labels.get("helm.sh/chart").startsWith("sscsi-"), labels.toString());
    // every other object of the release carries upstream's labels too
    for (HasMetadata r : rendered) {
      if (!r.getKind().equals("CustomResourceDefinition")) {
        assertContains(UPSTREAM_LABELS, r.getMetadata().getLabels(), r.getKind() + "/" + r.getMetadata().getName());
      }
    }
  }

  @Test
  void driverArgsAreUpstreamsWithTheSubcommandAndTwoAdditions() {
    List<String> expected = new ArrayList<>();
    expected.add("driver");
    expected.addAll(UPSTREAM_DRIVER_ARGS);
    expected.add("--admin-addr=127.0.0.1:8096");
    expected.add("--kubelet-dir=" + ROOT);
    Container driver = container(ds, "secrets-store");
    assertEquals(expected, driver.getArgs());
    assertEquals("registry.example.com/sscsi/driver:0.1.0", driver.getImage());
    // upstream's env (linux.env, CSI_ENDPOINT, KUBE_NODE_NAME) is all there, with the same values
    Map<String, EnvVar> env = driver.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertEquals("http://proxy.example.com:3128", env.get("HTTPS_PROXY").getValue());
    assertEquals("unix:///csi/csi.sock", env.get("CSI_ENDPOINT").getValue());
    assertEquals("spec.nodeName", env.get("KUBE_NODE_NAME").getValueFrom().getFieldRef().getFieldPath());
    // linux.driver.resources as given
    assertEquals("512Mi", driver.getResources().getLimits().get("memory").toString());
    assertEquals("500m", driver.getResources().getLimits().get("cpu").toString());
    assertEquals("256Mi", driver.getResources().getRequests().get("memory").toString());
    // ports: healthz 9808 and the metrics address's port
    Map<String, Integer> ports = driver.getPorts().stream()
        .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
    assertEquals(Map.of("healthz", 9808, "metrics", 8095), ports);
  }

  @Test
  void sidecarsAreUpstreams() {
    Container registrar = container(ds, "node-driver-registrar");
    assertEquals("registry.example.com/mirror/sig-storage/csi-node-driver-registrar:v2.16.0", registrar.getImage());
    assertEquals(List.of("--v=5", "--csi-address=/csi/csi.sock",
        "--kubelet-registration-path=" + ROOT + "/plugins/csi-secrets-store/csi.sock"), registrar.getArgs());
    assertEquals("64Mi", registrar.getResources().getLimits().get("memory").toString());
    assertEquals(Map.of("plugin-dir", "/csi", "registration-dir", "/registration",
            "registrar-probe", ROOT + "/plugins/csi-secrets-store"), // sscsi: writable probe dir (read-only root)
        registrar.getVolumeMounts().stream().collect(Collectors.toMap(VolumeMount::getName, VolumeMount::getMountPath)));
    Container liveness = container(ds, "liveness-probe");
    assertEquals("registry.example.com/mirror/sig-storage/livenessprobe:v2.18.0", liveness.getImage());
    assertEquals(List.of("--csi-address=/csi/csi.sock", "--probe-timeout=3s", "--http-endpoint=0.0.0.0:9808", "-v=2"),
        liveness.getArgs());
  }

  @Test
  void volumesAndMounts() {
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    Map<String, String> hostPaths = new LinkedHashMap<>();
    for (Volume v : pod.getVolumes()) {
      if (v.getHostPath() != null) {
        hostPaths.put(v.getName(), v.getHostPath().getPath() + "|" + v.getHostPath().getType());
      }
    }
    assertEquals(UPSTREAM_HOST_PATHS, hostPaths, "hostPath volumes, in upstream's order");
    List<String> others = pod.getVolumes().stream().filter(v -> v.getHostPath() == null).map(Volume::getName).toList();
    // linux.volumes as given; tmp and registrar-probe are sscsi's emptyDirs (read-only root file systems)
    assertEquals(List.of("tmp", "registrar-probe", "corp-ca"), others);
    assertEquals("corp-ca", StaticManifestsTest.volumes(ds).get("corp-ca").getConfigMap().getName());

    Container driver = container(ds, "secrets-store");
    Map<String, String> mounts = new LinkedHashMap<>();
    for (VolumeMount m : driver.getVolumeMounts()) {
      if (!m.getName().equals("tmp")) { // sscsi's /tmp emptyDir
        mounts.put(m.getName(), m.getMountPath() + (m.getMountPropagation() == null ? "" : "|" + m.getMountPropagation()));
      }
    }
    assertEquals(UPSTREAM_DRIVER_MOUNTS, mounts, "driver mounts, in upstream's order");
    assertEquals("/tmp", StaticManifestsTest.mount(driver, "tmp").getMountPath());
    assertEquals(Boolean.TRUE, StaticManifestsTest.mount(driver, "corp-ca").getReadOnly(), "volumeMounts as given");
    // sscsi mounts the provider socket dirs read-only (the driver only connects); upstream leaves them writable
    assertEquals(Boolean.TRUE, StaticManifestsTest.mount(driver, "providers-dir").getReadOnly());
    assertEquals(Boolean.TRUE, StaticManifestsTest.mount(driver, "providers-dir-0").getReadOnly());
  }

  @Test
  void schedulingAndIdentity() {
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertEquals("secrets-store-csi-driver", pod.getServiceAccountName());
    assertEquals("system-node-critical", pod.getPriorityClassName());
    assertEquals(List.of("regcred"), pod.getImagePullSecrets().stream().map(r -> r.getName()).toList());
    assertEquals(Map.of("kubernetes.io/os", "linux", "node.kubernetes.io/pool", "general"), pod.getNodeSelector());
    assertEquals(List.of("node-role.kubernetes.io/control-plane|Exists||NoSchedule", "dedicated|Equal|secrets|NoExecute"),
        pod.getTolerations().stream().map(UpstreamMigrationTest::toleration).toList());
    assertEquals("virtual-kubelet", pod.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
        .getNodeSelectorTerms().get(0).getMatchExpressions().get(0).getValues().get(0));
    assertEquals("RollingUpdate", ds.getSpec().getUpdateStrategy().getType());
    assertEquals(Boolean.TRUE, pod.getAutomountServiceAccountToken());
  }

  /** rbac.install=false with syncSecret.enabled: no service account, only the sync role; tokens, rotation on the CSIDriver; CRD hooks. */
  @Test
  void otherObjects() {
    List<HasMetadata> release = Helm.withoutHooks(rendered);
    assertTrue(all(release, ServiceAccount.class).isEmpty());
    assertEquals(List.of("secretprovidersyncing-role"),
        all(release, ClusterRole.class).stream().map(r -> r.getMetadata().getName()).toList());
    CSIDriver driver = only(rendered, CSIDriver.class);
    assertEquals("secrets-store.csi.k8s.io", driver.getMetadata().getName());
    assertEquals(Boolean.TRUE, driver.getSpec().getRequiresRepublish());
    assertEquals(List.of("vault:3600", "sts.amazonaws.com:null"), driver.getSpec().getTokenRequests().stream()
        .map((TokenRequest t) -> t.getAudience() + ":" + t.getExpirationSeconds()).toList());
    assertEquals(Boolean.TRUE, driver.getSpec().getServiceAccountTokenInSecrets(), "Kubernetes 1.35");
    Job crds = named(rendered, Job.class, "secrets-store-csi-driver-upgrade-crds");
    assertEquals("registry.example.com/mirror/csi-secrets-store/driver-crds:v1.6.0",
        crds.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    assertEquals("false", crds.getSpec().getTemplate().getMetadata().getAnnotations().get("sidecar.istio.io/inject"));
  }

  // ---- helpers --------------------------------------------------------------------------------

  static void assertContains(Map<String, String> expected, Map<String, String> actual, String what) {
    Map<String, String> missing = new LinkedHashMap<>();
    expected.forEach((k, v) -> {
      if (!v.equals(actual.get(k))) {
        missing.put(k, v);
      }
    });
    assertTrue(missing.isEmpty(), what + ": missing or different " + missing + " in " + actual);
  }

  static String toleration(Toleration t) {
    return t.getKey() + "|" + t.getOperator() + "|" + (t.getValue() == null ? "" : t.getValue()) + "|" + t.getEffect();
  }

  static Map<String, String> orderedMap(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}
