package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.DEPLOY;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The node DaemonSet's roles never grant {@code serviceaccounts/token}, as upstream v1.6: kubelet mints
 * the pods' tokens (CSIDriver tokenRequests) and the driver never calls the TokenRequest API. Only the
 * sync controller (deploy/sync-controller/, chart sscsi-sync-controller) may, under its admission policy.
 * Checks deploy/*.yaml and the node chart (deploy/charts/sscsi) rendered with the values that add roles.
 */
class NodeRolesMintNoTokensTest {

  @TempDir
  Path tmp;

  @Test
  void staticNodeManifests() throws Exception {
    List<HasMetadata> objects = new ArrayList<>();
    try (var files = Files.list(DEPLOY)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        objects.addAll(Manifests.load(f));
      }
    }
    assertTrue(objects.stream().anyMatch(o -> o instanceof ClusterRole), "deploy/*.yaml has the node roles");
    assertMintNoTokens(objects, "deploy/*.yaml");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{}",
      "{syncSecret: {enabled: true}, rbac: {install: true}}",
      "{syncSecret: {enabled: true}, tokenRequests: [{audience: vault}, {audience: api://AzureADTokenExchange}]}",
  })
  void nodeChart(String values) throws Exception {
    List<HasMetadata> rendered = Helm.template(tmp, "sscsi", values + "\n", "1.35.0", Map.of());
    assertTrue(rendered.stream().anyMatch(o -> o instanceof ClusterRole), "the node chart renders its roles");
    assertMintNoTokens(rendered, "chart sscsi with " + values);
  }

  /** No Role or ClusterRole grants serviceaccounts/token (or serviceaccounts/*, or every resource of core). */
  static void assertMintNoTokens(List<HasMetadata> objects, String where) {
    for (HasMetadata o : objects) {
      List<PolicyRule> rules = o instanceof ClusterRole c ? c.getRules() : o instanceof Role r ? r.getRules() : null;
      if (rules == null) {
        continue;
      }
      for (PolicyRule rule : rules) {
        boolean core = rule.getApiGroups().contains("") || rule.getApiGroups().contains("*");
        for (String resource : rule.getResources()) {
          boolean token = resource.equals("serviceaccounts/token") || resource.equals("serviceaccounts/*")
              || resource.equals("*") || resource.equals("*/token");
          assertFalse(core && token, where + ": " + o.getKind() + " " + o.getMetadata().getName()
              + " grants " + resource + " " + rule.getVerbs());
        }
      }
    }
  }
}
