package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.CHART;
import static io.sscsi.deploy.Manifests.DEPLOY;
import static io.sscsi.deploy.Manifests.YAML;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The chart's files without rendering them: Chart.yaml, values.yaml with upstream's value names,
 * every {@code .Values} path a template uses is defined, and the CRDs are deploy/'s. Rendering is
 * {@link ChartRenderTest}'s job (it needs a helm binary).
 */
class ChartFilesTest {

  static JsonNode values() {
    return YAML.readTree(Manifests.read(CHART.resolve("values.yaml")));
  }

  @Test
  void chartYaml() {
    JsonNode chart = YAML.readTree(Manifests.read(CHART.resolve("Chart.yaml")));
    assertEquals("v2", chart.path("apiVersion").asString());
    assertEquals("sscsi", chart.path("name").asString());
    assertEquals("0.1.0", chart.path("version").asString());
    assertEquals("application", chart.path("type").asString());
    assertFalse(chart.path("appVersion").asString("").isEmpty());
  }

  /** Upstream's main value names exist, with upstream's defaults where sscsi keeps them. */
  @Test
  void valuesHaveUpstreamNamesAndDefaults() {
    JsonNode v = values();
    for (String path : List.of(
        "linux.enabled", "linux.image.repository", "linux.image.tag", "linux.image.pullPolicy",
        "linux.driver.resources.requests", "linux.driver.resources.limits",
        "linux.registrarImage.repository", "linux.registrarImage.tag", "linux.registrar.resources",
        "linux.registrar.logVerbosity", "linux.livenessProbeImage.repository", "linux.livenessProbe.resources",
        "linux.updateStrategy", "linux.kubeletRootDir", "linux.providersDir", "linux.additionalProvidersDirs",
        "linux.metricsAddr", "linux.affinity", "linux.tolerations", "linux.nodeSelector",
        "linux.priorityClassName", "linux.daemonsetAnnotations", "linux.podAnnotations", "linux.podLabels",
        "linux.env", "linux.volumes", "linux.volumeMounts",
        "logFormatJSON", "livenessProbe.port", "livenessProbe.logLevel", "maxCallRecvMsgSize",
        "rbac.install", "syncSecret.enabled", "enableSecretRotation", "rotationPollInterval",
        "providerHealthCheck", "providerHealthCheckInterval", "tokenRequests", "imagePullSecrets",
        "commonLabels", "logVerbosity", "automountServiceAccountToken", "nameOverride", "fullnameOverride",
        "linux.crds.enabled", "linux.crds.image.repository", "linux.crds.image.tag", "linux.crds.image.pullPolicy",
        "linux.crds.annotations", "linux.crds.podLabels", "linux.crds.resources")) {
      assertFalse(at(v, path).isMissingNode(), "values.yaml lacks " + path);
    }
    assertEquals("/var/lib/kubelet", at(v, "linux.kubeletRootDir").asString());
    assertEquals("/var/run/secrets-store-csi-providers", at(v, "linux.providersDir").asString());
    assertEquals("/etc/kubernetes/secrets-store-csi-providers", at(v, "linux.additionalProvidersDirs").get(0).asString());
    assertEquals(":8095", at(v, "linux.metricsAddr").asString());
    assertEquals(1, at(v, "linux.tolerations").size());
    assertEquals("Exists", at(v, "linux.tolerations").get(0).path("operator").asString());
    assertTrue(at(v, "linux.nodeSelector").isEmpty());
    assertFalse(at(v, "syncSecret.enabled").asBoolean(true));
    assertFalse(at(v, "enableSecretRotation").asBoolean(true));
    assertEquals("", at(v, "rotationPollInterval").asString());
    assertFalse(at(v, "providerHealthCheck").asBoolean(true));
    assertEquals("2m", at(v, "providerHealthCheckInterval").asString());
    assertTrue(at(v, "tokenRequests").isArray() && at(v, "tokenRequests").isEmpty());
    assertFalse(at(v, "logFormatJSON").asBoolean(true));
    assertEquals(4194304, at(v, "maxCallRecvMsgSize").asInt());
    assertTrue(at(v, "rbac.install").asBoolean(false));
    assertEquals(0, at(v, "logVerbosity").asInt(-1));
    assertTrue(at(v, "automountServiceAccountToken").asBoolean(false));
    assertTrue(at(v, "linux.crds.enabled").asBoolean(false));
    assertEquals("registry.k8s.io/csi-secrets-store/driver-crds", at(v, "linux.crds.image.repository").asString());
    assertEquals("v1.6.0", at(v, "linux.crds.image.tag").asString());
    assertEquals(9808, at(v, "livenessProbe.port").asInt());
    assertEquals("127.0.0.1:8096", at(v, "admin.addr").asString());
    assertEquals("256Mi", at(v, "linux.driver.resources.limits.memory").asString());
    assertEquals("200m", at(v, "linux.driver.resources.limits.cpu").asString());
  }

  /** Every {@code .Values.a.b} a template reads is defined in values.yaml (a typo renders as empty). */
  @Test
  void everyValueATemplateReadsIsDefined() throws IOException {
    Set<String> used = Manifests.valuesReadByTemplates(CHART);
    assertTrue(used.containsAll(Set.of("enableSecretRotation", "tokenRequests", "syncSecret.enabled",
        "rbac.install", "linux.kubeletRootDir", "providerHealthCheck", "linux.tolerations",
        "linux.driver.resources")), used.toString());
  }

  /**
   * Conditional objects, as upstream: the syncing role on syncSecret.enabled alone, the service
   * account and the other RBAC on rbac.install, the CRD hooks on linux.crds.enabled.
   */
  @Test
  void templatesGuardOptionalObjects() {
    String sync = Manifests.read(CHART.resolve("templates/role-syncsecret.yaml"));
    assertTrue(sync.startsWith("{{- if .Values.syncSecret.enabled }}"), sync);
    for (String f : List.of("role.yaml", "role-secretproviderclasses-aggregated.yaml")) {
      assertTrue(Manifests.read(CHART.resolve("templates/" + f)).startsWith("{{- if .Values.rbac.install }}"), f);
    }
    assertTrue(Manifests.read(CHART.resolve("templates/serviceaccount.yaml")).contains("{{- if .Values.rbac.install }}"));
    for (String f : List.of("crds-upgrade-hook.yaml", "keep-crds-upgrade-hook.yaml")) {
      assertTrue(Manifests.read(CHART.resolve("templates/" + f)).startsWith("{{- if .Values.linux.crds.enabled }}"), f);
    }
    String csi = Manifests.read(CHART.resolve("templates/csidriver.yaml"));
    assertTrue(csi.contains("requiresRepublish: {{ .Values.enableSecretRotation }}"), csi);
    assertTrue(csi.contains("{{- with .Values.tokenRequests }}"), csi);
  }

  /** The chart's crds/ are deploy/'s CRD manifests, byte for byte. */
  @Test
  void chartCrdsAreTheStaticOnes() throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(CHART.resolve("crds"))) {
      for (Path f : files.toList()) {
        names.add(f.getFileName().toString());
        assertEquals(-1L, Files.mismatch(f, DEPLOY.resolve(f.getFileName())), f + " differs from deploy/");
      }
    }
    assertEquals(Set.of("secrets-store.csi.x-k8s.io_secretproviderclasses.yaml",
        "secrets-store.csi.x-k8s.io_secretproviderclasspodstatuses.yaml"), names);
  }

  static JsonNode at(JsonNode root, String dotted) {
    return Manifests.at(root, dotted);
  }
}
