package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.container;
import static io.sscsi.deploy.Manifests.driverFlags;
import static io.sscsi.deploy.Manifests.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgrade from upstream's chart with upstream's values: {@code -f} with upstream's own values
 * file, or {@code --reuse-values}, which renders the new chart with the old chart's values in place of
 * its values.yaml (Helm's upgrade action sets the chart's values to the old release's coalesced ones).
 * Upstream's default driver repository in there is replaced by the sscsi image and NOTES.txt says so;
 * only another copy of upstream's driver image is refused. Upstream's default values below are written
 * out from its chart 1.6.0 (upstream-survey §6.4). Real helm: {@code helm template}, and
 * {@code helm install --dry-run=client} for NOTES.txt (neither needs a cluster).
 */
class UpstreamValuesImageTest {

  static final String SSCSI_IMAGE = "sscsi/driver:0.1.0";

  /** Upstream chart 1.6.0's default values (the keys its templates read). */
  static final String UPSTREAM_DEFAULTS = """
      linux:
        enabled: true
        image:
          repository: registry.k8s.io/csi-secrets-store/driver
          tag: v1.6.0
          pullPolicy: IfNotPresent
        crds:
          enabled: true
          image:
            repository: registry.k8s.io/csi-secrets-store/driver-crds
            tag: v1.6.0
            pullPolicy: IfNotPresent
          annotations: {}
          podLabels: {}
        daemonsetAnnotations: {}
        podAnnotations: {}
        podLabels: {}
        driver:
          resources:
            requests: {cpu: 50m, memory: 100Mi}
            limits: {cpu: 200m, memory: 200Mi}
        registrarImage:
          repository: registry.k8s.io/sig-storage/csi-node-driver-registrar
          tag: v2.16.0
          pullPolicy: IfNotPresent
        registrar:
          resources:
            requests: {cpu: 10m, memory: 20Mi}
            limits: {cpu: 100m, memory: 100Mi}
          logVerbosity: 5
        livenessProbeImage:
          repository: registry.k8s.io/sig-storage/livenessprobe
          tag: v2.18.0
          pullPolicy: IfNotPresent
        livenessProbe:
          resources:
            requests: {cpu: 10m, memory: 20Mi}
            limits: {cpu: 100m, memory: 100Mi}
        updateStrategy:
          type: RollingUpdate
          rollingUpdate: {maxUnavailable: 1}
        kubeletRootDir: /var/lib/kubelet
        providersDir: /var/run/secrets-store-csi-providers
        additionalProvidersDirs: [/etc/kubernetes/secrets-store-csi-providers]
        nodeSelector: {}
        tolerations: [{operator: Exists}]
        metricsAddr: ":8095"
        env: []
        priorityClassName: ""
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - {key: type, operator: NotIn, values: [virtual-kubelet]}
        volumes: []
        volumeMounts: []
      windows:
        enabled: false
      logVerbosity: 0
      logFormatJSON: false
      livenessProbe:
        port: 9808
        logLevel: 2
      maxCallRecvMsgSize: 4194304
      rbac:
        install: true
        pspEnabled: false
      syncSecret:
        enabled: false
      enableSecretRotation: false
      rotationPollInterval: ""
      providerHealthCheck: false
      providerHealthCheckInterval: 2m
      imagePullSecrets: []
      commonLabels: {}
      tokenRequests: []
      automountServiceAccountToken: true
      """;

  @TempDir
  Path tmp;

  @BeforeEach
  void requireHelm() {
    Helm.require();
  }

  static Container driver(List<io.fabric8.kubernetes.api.model.HasMetadata> rendered) {
    return container(only(rendered, DaemonSet.class), "secrets-store");
  }

  @Test
  void upstreamsOwnValuesFileWithFGetsTheSscsiImage() throws Exception {
    Container driver = driver(Helm.template(tmp, "csi-secrets-store", UPSTREAM_DEFAULTS, "1.34.0", Map.of()));
    assertEquals(SSCSI_IMAGE, driver.getImage());
    assertEquals("driver", driver.getArgs().get(0));
  }

  @Test
  void reuseValuesRendersWithUpstreamsValuesInPlaceOfOursAndGetsTheSscsiImage() throws Exception {
    // What --reuse-values hands the new chart: the old chart's values as its values.yaml.
    Path chart = tmp.resolve("sscsi");
    try (Stream<Path> files = Files.walk(Manifests.CHART)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = chart.resolve(Manifests.CHART.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    Files.writeString(chart.resolve("values.yaml"), UPSTREAM_DEFAULTS);
    Helm.Result r = Helm.run(List.of(Helm.require(), "template", "csi-secrets-store", chart.toString(),
        "--namespace", "kube-system", "--kube-version", "1.34.0"));
    assertEquals(0, r.exit(), r.stderr());
    Container driver = driver(Manifests.load(r.stdout(), "helm template with upstream's values as the chart's"));
    assertEquals(SSCSI_IMAGE, driver.getImage());
    assertEquals("127.0.0.1:8096", driverFlags(driver).get("--admin-addr"));
    assertTrue(driver.getEnv().stream().noneMatch(e -> e.getName().equals("JAVA_TOOL_OPTIONS")),
        "no sscsi JVM flags in upstream's values: the image's own apply");
    assertEquals(null, driver.getReadinessProbe());
  }

  @Test
  void notesSayWhichImageReplacedUpstreamsDefault() throws Exception {
    String notes = installDryRunNotes(Map.of("linux.image.repository", "registry.k8s.io/csi-secrets-store/driver",
        "linux.image.tag", "v1.6.0"));
    assertTrue(notes.contains("linux.image.repository is registry.k8s.io/csi-secrets-store/driver, upstream's default"),
        notes);
    assertTrue(notes.contains(SSCSI_IMAGE + " is used instead"), notes);
    assertFalse(installDryRunNotes(Map.of()).contains("is used instead"), "nothing to say with sscsi's image");
  }

  @Test
  void onlyAnotherCopyOfUpstreamsImageIsRefused() throws Exception {
    Helm.Result mirror = Helm.templateRaw(tmp, "r", "{}", "1.34.0",
        Map.of("linux.image.repository", "mirror.example.com/csi-secrets-store/driver", "linux.image.tag", "v1.6.0"));
    assertNotEquals(0, mirror.exit());
    assertTrue(mirror.stderr().contains("linux.image.repository is mirror.example.com/csi-secrets-store/driver"),
        mirror.stderr());
    Container old = driver(Helm.template(tmp, "r", "{}", "1.34.0",
        Map.of("linux.image.repository", "k8s.gcr.io/csi-secrets-store/driver", "linux.image.tag", "v1.2.0")));
    assertEquals(SSCSI_IMAGE, old.getImage(), "upstream's default before 1.3 too");
    Container mine = driver(Helm.template(tmp, "r", "{}", "1.34.0",
        Map.of("linux.image.repository", "registry.example.com/sscsi/driver", "linux.image.tag", "0.2.0")));
    assertEquals("registry.example.com/sscsi/driver:0.2.0", mine.getImage());
    assertEquals(SSCSI_IMAGE, driver(Helm.template(tmp, "r", "{}", "1.34.0", Map.of())).getImage(),
        "the chart's default is the image upstream's is replaced by");
  }

  private String installDryRunNotes(Map<String, String> set) throws Exception {
    List<String> command = new ArrayList<>(List.of(Helm.require(), "install", "csi-secrets-store",
        Manifests.CHART.toString(), "--namespace", "kube-system", "--dry-run=client"));
    set.forEach((k, v) -> command.addAll(List.of("--set", k + "=" + v)));
    Helm.Result r = Helm.run(command);
    assertEquals(0, r.exit(), r.stderr());
    int at = r.stdout().indexOf("NOTES:");
    assertTrue(at >= 0, r.stdout());
    return r.stdout().substring(at);
  }
}
