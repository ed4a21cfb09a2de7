package io.sscsi.deploy;

import static io.sscsi.deploy.ChartFilesTest.at;
import static io.sscsi.deploy.Manifests.YAML;
import static io.sscsi.deploy.Manifests.only;
import static io.sscsi.deploy.SyncChart.CHART;
import static io.sscsi.deploy.SyncChart.CRD_FILE;
import static io.sscsi.deploy.SyncChart.STATIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The sync controller's files without helm: the static manifests load as typed objects, the chart's
 * CRD is deploy/'s byte for byte, values.yaml has SSC's value names, every value a template reads is
 * defined, and the CRD keeps SSC's schema (patterns, sizes, the list-map, CEL on reserved keys, status).
 */
class SyncControllerManifestsTest {

  static final String NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
  static final String PATH_PATTERN = "^[A-Za-z0-9.]([-A-Za-z0-9]+([-._a-zA-Z0-9]?[A-Za-z0-9])*)?(\\/([0-9]+))*$";

  @Test
  void staticManifestsLoadAsTypedObjects() throws Exception {
    List<HasMetadata> objects = SyncChart.staticObjects();
    for (HasMetadata o : objects) {
      assertEquals("sscsi", o.getMetadata().getLabels().get("app.kubernetes.io/part-of"), o.getKind() + " " + o.getMetadata().getName());
    }
    assertEquals(Set.of("admission-policies.yaml", "deployment.yaml", "namespace.yaml", "rbac.yaml", CRD_FILE),
        SyncChart.staticFiles().stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
    Deployment d = only(objects, Deployment.class);
    assertEquals("sscsi/driver:0.1.0", SyncControllerChartTest.manager(d).getImage());
    assertEquals("sync-controller", SyncControllerChartTest.manager(d).getArgs().get(0));
  }

  @Test
  void chartCrdIsTheStaticOne() throws Exception {
    try (var files = Files.list(CHART.resolve("crds"))) {
      List<Path> crds = files.toList();
      assertEquals(List.of(CRD_FILE), crds.stream().map(p -> p.getFileName().toString()).toList());
      assertEquals(-1L, Files.mismatch(crds.get(0), STATIC.resolve(CRD_FILE)), "chart crds/ differs from deploy/sync-controller/");
    }
  }

  @Test
  void valuesHaveSscsNamesAndDefaults() {
    JsonNode v = YAML.readTree(Manifests.read(CHART.resolve("values.yaml")));
    for (String path : List.of("controllerName", "tokenRequestAudience", "logVerbosity",
        "validatingAdmissionPolicies.applyPolicies", "validatingAdmissionPolicies.allowedSecretTypes",
        "validatingAdmissionPolicies.deniedSecretTypes", "image.repository", "image.pullPolicy", "image.tag",
        "securityContext", "resources", "podAnnotations", "podLabels", "nodeSelector", "tolerations", "affinity",
        "metricsPort", "rotationPollInterval", "providerContainer")) {
      assertFalse(at(v, path).isMissingNode(), "values.yaml lacks " + path);
    }
    assertEquals("secrets-store-sync-controller", at(v, "controllerName").asString());
    assertEquals(8085, at(v, "metricsPort").asInt());
    assertEquals("12h", at(v, "rotationPollInterval").asString());
    assertTrue(at(v, "validatingAdmissionPolicies.applyPolicies").asBoolean(false));
    assertEquals(7, at(v, "validatingAdmissionPolicies.allowedSecretTypes").size());
    assertEquals("kubernetes.io/service-account-token", at(v, "validatingAdmissionPolicies.deniedSecretTypes").get(0).asString());
    assertEquals("Exists", at(v, "tolerations").get(0).path("operator").asString());
    assertEquals("sscsi/driver", at(v, "image.repository").asString());
  }

  /** Every {@code .Values.a.b} a template reads is defined in values.yaml (a typo renders as empty). */
  @Test
  void everyValueATemplateReadsIsDefined() throws Exception {
    Set<String> used = Manifests.valuesReadByTemplates(CHART);
    assertTrue(used.containsAll(Set.of("tokenRequestAudience", "providerContainer", "rotationPollInterval",
        "validatingAdmissionPolicies.applyPolicies", "controllerName", "metricsPort")), used.toString());
  }

  @Test
  void crdKeepsSscsSchema() {
    CustomResourceDefinition crd = only(Manifests.load(STATIC.resolve(CRD_FILE)), CustomResourceDefinition.class);
    assertEquals("secretsyncs.secret-sync.x-k8s.io", crd.getMetadata().getName());
    assertEquals("secret-sync.x-k8s.io", crd.getSpec().getGroup());
    assertEquals("Namespaced", crd.getSpec().getScope());
    assertEquals("SecretSync", crd.getSpec().getNames().getKind());
    assertEquals(1, crd.getSpec().getVersions().size());
    CustomResourceDefinitionVersion v = crd.getSpec().getVersions().get(0);
    assertEquals("v1alpha1", v.getName());
    assertTrue(v.getServed() && v.getStorage());
    assertNotNull(v.getSubresources().getStatus(), "status subresource");
    JSONSchemaProps spec = StaticManifestsTest.prop(v.getSchema().getOpenAPIV3Schema(), "spec");
    assertEquals(List.of("secretObject", "secretProviderClassName", "serviceAccountName"), spec.getRequired());
    for (String name : List.of("secretProviderClassName", "serviceAccountName")) {
      JSONSchemaProps p = StaticManifestsTest.prop(spec, name);
      assertEquals(NAME_PATTERN, p.getPattern(), name);
      assertEquals(List.of(1L, 253L), List.of(p.getMinLength(), p.getMaxLength()), name);
    }
    JSONSchemaProps object = StaticManifestsTest.prop(spec, "secretObject");
    assertEquals(List.of("data"), object.getRequired());
    JSONSchemaProps data = StaticManifestsTest.prop(object, "data");
    assertEquals(1L, data.getMinItems());
    assertEquals("map", data.getXKubernetesListType());
    assertEquals(List.of("targetKey"), data.getXKubernetesListMapKeys());
    for (String name : List.of("sourcePath", "targetKey")) {
      JSONSchemaProps p = StaticManifestsTest.prop(data.getItems().getSchema(), name);
      assertEquals(PATH_PATTERN, p.getPattern(), name);
      assertEquals(List.of(1L, 253L), List.of(p.getMinLength(), p.getMaxLength()), name);
    }
    for (String map : List.of("labels", "annotations")) {
      List<String> rules = StaticManifestsTest.prop(object, map).getXKubernetesValidations().stream()
          .map(ValidationRule::getRule).toList();
      assertTrue(rules.contains("self.all(k, !k.startsWith('secrets-store.sync.x-k8s.io'))"), map + ": " + rules);
    }
    assertEquals("^[A-Za-z0-9]([-A-Za-z0-9]+([-._a-zA-Z0-9]?[A-Za-z0-9])*)?$",
        StaticManifestsTest.prop(spec, "forceSynchronization").getPattern());
    JSONSchemaProps status = StaticManifestsTest.prop(v.getSchema().getOpenAPIV3Schema(), "status");
    assertEquals(Set.of("syncHash", "lastSuccessfulSyncTime", "conditions"), status.getProperties().keySet());
    JSONSchemaProps conditions = StaticManifestsTest.prop(status, "conditions");
    assertEquals(16L, conditions.getMaxItems());
    assertEquals(List.of("type"), conditions.getXKubernetesListMapKeys());
  }
}
