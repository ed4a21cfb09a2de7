package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.CHART;
import static io.sscsi.deploy.Manifests.DEPLOY;
import static io.sscsi.deploy.Manifests.all;
import static io.sscsi.deploy.Manifests.container;
import static io.sscsi.deploy.Manifests.flag;
import static io.sscsi.deploy.Manifests.grants;
import static io.sscsi.deploy.Manifests.load;
import static io.sscsi.deploy.Manifests.named;
import static io.sscsi.deploy.Manifests.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the chart with a real helm binary ({@link Helm}) and loads the output as typed fabric8
 * objects; skipped where there is no helm. Upstream-compatibility cases are in
 * {@link UpstreamChartCompatTest} and {@link UpstreamMigrationTest}.
 */
class ChartRenderTest {

  @TempDir
  Path tmp;

  @BeforeEach
  void requireHelm() {
    Helm.require();
  }

  /** {@code helm template sscsi} of the chart with the given values YAML, as typed objects (hooks included). */
  List<HasMetadata> render(String valuesYaml, String kubeVersion) throws Exception {
    return Helm.template(tmp, "sscsi", valuesYaml, kubeVersion, Map.of());
  }

  @Test
  void lint() throws Exception {
    Helm.Result r = Helm.run(List.of(Helm.require(), "lint", "--strict", CHART.toString()));
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    assertTrue(r.stdout().contains("0 chart(s) failed"), r.stdout());
  }

  /**
   * With default values the chart renders what deploy/ holds, apart from what upstream's own chart and
   * static manifests differ in: the DaemonSet's name and selector, its labels, and the flags the chart
   * passes only when set (compared as the flags they mean, {@link Manifests#driverFlags}).
   */
  @Test
  void defaultsRenderTheStaticManifests() throws Exception {
    List<HasMetadata> rendered = render("{}\n", "1.34.0");
    List<HasMetadata> chart = Helm.withoutHooks(rendered);
    List<HasMetadata> fixed = new ArrayList<>();
    try (var files = Files.list(DEPLOY)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        fixed.addAll(load(f));
      }
    }
    // CRDs: identical
    for (CustomResourceDefinition crd : all(fixed, CustomResourceDefinition.class)) {
      assertEquals(crd, named(rendered, CustomResourceDefinition.class, crd.getMetadata().getName()));
    }
    // DaemonSet: same pod, apart from labels and the flags left at their defaults
    DaemonSet staticDs = only(fixed, DaemonSet.class);
    DaemonSet chartDs = only(chart, DaemonSet.class);
    assertEquals("sscsi-secrets-store-csi-driver", chartDs.getMetadata().getName());
    assertEquals("kube-system", chartDs.getMetadata().getNamespace());
    assertEquals(Map.of("app", "secrets-store-csi-driver"), chartDs.getSpec().getSelector().getMatchLabels());
    PodSpec a = staticDs.getSpec().getTemplate().getSpec();
    PodSpec b = chartDs.getSpec().getTemplate().getSpec();
    assertEquals(Boolean.TRUE, b.getAutomountServiceAccountToken());
    b.setAutomountServiceAccountToken(null);
    assertEquals(a.getContainers().size(), b.getContainers().size());
    assertEquals(Manifests.driverFlags(container(staticDs, "secrets-store")),
        Manifests.driverFlags(container(chartDs, "secrets-store")), "driver flags");
    container(staticDs, "secrets-store").setArgs(null);
    container(chartDs, "secrets-store").setArgs(null);
    for (Container c : a.getContainers()) {
      Container rendered1 = container(chartDs, c.getName());
      assertEquals(c.getArgs(), rendered1.getArgs(), c.getName() + " args");
      assertEquals(c.getEnv(), rendered1.getEnv(), c.getName() + " env");
      assertEquals(c.getVolumeMounts(), rendered1.getVolumeMounts(), c.getName() + " mounts");
      assertEquals(c, rendered1, c.getName());
    }
    assertEquals(a, b, "pod spec");
    assertEquals(staticDs.getSpec().getUpdateStrategy(), chartDs.getSpec().getUpdateStrategy());
    assertEquals(staticDs.getSpec().getTemplate().getMetadata().getAnnotations(),
        chartDs.getSpec().getTemplate().getMetadata().getAnnotations());
    assertTrue(chartDs.getSpec().getTemplate().getMetadata().getLabels().entrySet()
        .containsAll(chartDs.getSpec().getSelector().getMatchLabels().entrySet()), "selector selects the pods");
    // CSIDriver: upstream's chart ties requiresRepublish to enableSecretRotation (default false)
    CSIDriver staticDriver = only(fixed, CSIDriver.class);
    CSIDriver chartDriver = only(chart, CSIDriver.class);
    assertEquals(Boolean.FALSE, chartDriver.getSpec().getRequiresRepublish());
    chartDriver.getSpec().setRequiresRepublish(true);
    assertEquals(staticDriver.getSpec(), chartDriver.getSpec());
    // RBAC: the same roles, minus the syncing one (syncSecret.enabled=false)
    List<String> chartRoles = all(chart, ClusterRole.class).stream().map(r -> r.getMetadata().getName()).sorted().toList();
    List<String> expected = all(fixed, ClusterRole.class).stream().map(r -> r.getMetadata().getName())
        .filter(n -> !n.equals("secretprovidersyncing-role")).sorted().toList();
    assertEquals(expected, chartRoles);
    for (String name : expected) {
      assertEquals(grants(named(fixed, ClusterRole.class, name)), grants(named(chart, ClusterRole.class, name)), name);
      assertEquals(named(fixed, ClusterRole.class, name).getMetadata().getLabels().get("rbac.authorization.k8s.io/aggregate-to-view"),
          named(chart, ClusterRole.class, name).getMetadata().getLabels().get("rbac.authorization.k8s.io/aggregate-to-view"));
    }
    ClusterRoleBinding binding = named(chart, ClusterRoleBinding.class, "secretproviderclasses-rolebinding");
    StaticManifestsTest.assertBindsDriver(binding, named(chart, ClusterRole.class, "secretproviderclasses-role"));
    ServiceAccount sa = only(chart, ServiceAccount.class);
    assertEquals("secrets-store-csi-driver", sa.getMetadata().getName());
    assertFalse(Helm.hooks(rendered).isEmpty(), "the CRD hooks render by default (linux.crds.enabled)");
    assertEquals("kube-system", sa.getMetadata().getNamespace());
  }

  @Test
  void rotationSyncAndTokenRequestsOnKubernetes135() throws Exception {
    List<HasMetadata> chart = render("""
        enableSecretRotation: true
        rotationPollInterval: 5m
        syncSecret:
          enabled: true
        providerHealthCheck: true
        logFormatJSON: true
        tokenRequests:
          - audience: vault
            expirationSeconds: 3600
          - audience: api://AzureADTokenExchange
        """, "1.35.0");
    CSIDriver d = only(chart, CSIDriver.class);
    assertEquals(Boolean.TRUE, d.getSpec().getRequiresRepublish());
    assertEquals(List.of("vault", "api://AzureADTokenExchange"),
        d.getSpec().getTokenRequests().stream().map(t -> t.getAudience()).toList());
    assertEquals(3600L, d.getSpec().getTokenRequests().get(0).getExpirationSeconds());
    assertEquals(Boolean.TRUE, d.getSpec().getServiceAccountTokenInSecrets());
    List<String> args = container(only(chart, DaemonSet.class), "secrets-store").getArgs();
    assertEquals("true", flag(args, "--enable-secret-rotation"));
    assertEquals("5m", flag(args, "--rotation-poll-interval"));
    assertEquals("true", flag(args, "--provider-health-check"));
    assertEquals("true", flag(args, "--log-format-json"));
    ClusterRole sync = named(chart, ClusterRole.class, "secretprovidersyncing-role");
    StaticManifestsTest.assertBindsDriver(named(chart, ClusterRoleBinding.class, "secretprovidersyncing-rolebinding"), sync);
    assertTrue(grants(sync).containsKey("/secrets"));
  }

  @Test
  void tokensStayInTheVolumeContextBeforeKubernetes135() throws Exception {
    CSIDriver d = only(render("tokenRequests: [{audience: vault}]\n", "1.34.0"), CSIDriver.class);
    assertEquals(1, d.getSpec().getTokenRequests().size());
    assertNull(d.getSpec().getServiceAccountTokenInSecrets());
    assertEquals(Boolean.FALSE, d.getSpec().getRequiresRepublish());
  }

  @Test
  void defaultRotationPollIntervalIsLeftToTheDriver() throws Exception {
    List<String> args = container(only(render("{}\n", "1.34.0"), DaemonSet.class), "secrets-store").getArgs();
    assertNull(flag(args, "--rotation-poll-interval"), "empty rotationPollInterval: the driver's default (2m)");
    assertNull(flag(args, "--enable-secret-rotation"), "as upstream's chart: passed only when true");
    assertNull(flag(args, "--provider-health-check"), "as upstream's chart: passed only when true");
    assertNull(flag(args, "--log-format-json"), "as upstream's chart: passed only when true");
  }

  @Test
  void kubeletRootDirProvidersAndPorts() throws Exception {
    DaemonSet ds = only(render("""
        linux:
          kubeletRootDir: /var/snap/microk8s/common/var/lib/kubelet/
          providersDir: /run/providers
          additionalProvidersDirs: [/opt/p1, /opt/p2]
          metricsAddr: ":9100"
          tolerations: []
          nodeSelector: {pool: secrets}
          image: {repository: example.org/sscsi, digest: "sha256:0123"}
          env: [{name: EXTRA, value: "1"}]
        livenessProbe: {port: 9909}
        maxCallRecvMsgSize: 8388608
        admin: {addr: "0.0.0.0:8096"}
        """, "1.34.0"), DaemonSet.class);
    String root = "/var/snap/microk8s/common/var/lib/kubelet";
    Container driver = container(ds, "secrets-store");
    Container registrar = container(ds, "node-driver-registrar");
    var volumes = ds.getSpec().getTemplate().getSpec().getVolumes().stream()
        .collect(Collectors.toMap(Volume::getName, v -> v));
    assertEquals(root + "/pods", volumes.get("mountpoint-dir").getHostPath().getPath());
    assertEquals(root + "/pods", StaticManifestsTest.mount(driver, "mountpoint-dir").getMountPath());
    assertEquals("Bidirectional", StaticManifestsTest.mount(driver, "mountpoint-dir").getMountPropagation());
    assertEquals(root + "/plugins_registry/", volumes.get("registration-dir").getHostPath().getPath());
    assertEquals(root + "/plugins/csi-secrets-store/", volumes.get("plugin-dir").getHostPath().getPath());
    assertEquals(root + "/plugins/csi-secrets-store/csi.sock", flag(registrar.getArgs(), "--kubelet-registration-path"));
    assertEquals(root + "/plugins/csi-secrets-store", StaticManifestsTest.mount(registrar, "registrar-probe").getMountPath());
    List<String> args = driver.getArgs();
    assertEquals("/run/providers", flag(args, "--provider-volume"));
    assertEquals("/opt/p1,/opt/p2", flag(args, "--additional-provider-volume-paths"));
    assertEquals("/opt/p2", volumes.get("providers-dir-1").getHostPath().getPath());
    assertEquals("/opt/p2", StaticManifestsTest.mount(driver, "providers-dir-1").getMountPath());
    assertEquals("8388608", flag(args, "--max-call-recv-msg-size"));
    assertEquals(":9100", flag(args, "--metrics-addr"));
    assertEquals(9100, StaticManifestsTest.port(driver, "metrics"));
    assertEquals(9909, StaticManifestsTest.port(driver, "healthz"));
    assertEquals("0.0.0.0:9909", flag(container(ds, "liveness-probe").getArgs(), "--http-endpoint"));
    assertEquals("0.0.0.0:8096", flag(args, "--admin-addr"));
    assertEquals("example.org/sscsi@sha256:0123", driver.getImage());
    assertEquals("1", StaticManifestsTest.env(driver, "EXTRA").getValue());
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertNull(pod.getTolerations() == null || pod.getTolerations().isEmpty() ? null : pod.getTolerations());
    assertEquals("secrets", pod.getNodeSelector().get("pool"));
    assertEquals("linux", pod.getNodeSelector().get("kubernetes.io/os"));
  }

  @Test
  void noAdditionalProviderDirs() throws Exception {
    DaemonSet ds = only(render("linux: {additionalProvidersDirs: []}\n", "1.34.0"), DaemonSet.class);
    Container driver = container(ds, "secrets-store");
    assertEquals("", flag(driver.getArgs(), "--additional-provider-volume-paths"));
    assertTrue(ds.getSpec().getTemplate().getSpec().getVolumes().stream()
        .noneMatch(v -> v.getName().startsWith("providers-dir-")));
  }
}
