package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.all;
import static io.sscsi.deploy.Manifests.flag;
import static io.sscsi.deploy.Manifests.named;
import static io.sscsi.deploy.Manifests.only;
import static io.sscsi.deploy.SyncChart.NAMESPACE;
import static io.sscsi.deploy.SyncChart.POLICIES;
import static io.sscsi.deploy.Manifests.grants;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Variable;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The sync controller's chart, rendered with a real helm ({@link Helm}; skipped without one): SSC's
 * values file renders unchanged apart from the image, audiences are joined without spaces, SSC's
 * admission policies match our ServiceAccount, the roles are SSC's plus what sscsi needs, and the
 * defaults render deploy/sync-controller/ (the static manifests are kept in step here).
 */
class SyncControllerChartTest {

  static final Path SSC_VALUES = Path.of("src/test/resources/deploy/ssc-values.yaml");
  static final Map<String, String> OUR_IMAGE = Map.of("image.repository", "sscsi/driver", "image.tag", "0.1.0");
  static final String SA_USER = "system:serviceaccount:" + NAMESPACE + ":secrets-store-sync-controller";

  @TempDir
  Path tmp;

  @BeforeEach
  void requireHelm() {
    Helm.require();
  }

  List<HasMetadata> render(String valuesYaml) throws Exception {
    return SyncChart.render(tmp, NAMESPACE, valuesYaml, Map.of());
  }

  static Container manager(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("manager")).findFirst()
        .orElseThrow(() -> new AssertionError("no manager container"));
  }

  @Test
  void lint() throws Exception {
    Helm.Result r = Helm.run(List.of(Helm.require(), "lint", "--strict", SyncChart.CHART.toString()));
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    assertTrue(r.stdout().contains("0 chart(s) failed"), r.stdout());
  }

  /**
   * The static manifests are the chart's default output (release sscsi-sync-controller in
   * secrets-store-sync-controller-system) without Helm's own labels, plus the Namespace.
   */
  @Test
  void defaultsRenderTheStaticManifests() throws Exception {
    Map<String, JsonNode> chart = byKey(render("{}\n"), true);
    List<HasMetadata> fixed = SyncChart.staticObjects();
    assertEquals(NAMESPACE, only(fixed, Namespace.class).getMetadata().getName());
    Map<String, JsonNode> statics = byKey(fixed.stream().filter(r -> !(r instanceof Namespace)).toList(), false);
    assertEquals(chart.keySet(), statics.keySet(), "the same objects");
    chart.forEach((key, rendered) -> assertEquals(rendered, statics.get(key), key));
  }

  /**
   * SSC's values file, unchanged: every key takes effect, with SSC's meaning. Its image is SSC's default,
   * named because it was the default: the chart runs sscsi's image at its appVersion and NOTES says so.
   */
  @Test
  void sscValuesFileRendersUnchanged() throws Exception {
    String ssc = Manifests.read(SSC_VALUES);
    Helm.Result asIs = SyncChart.templateRaw(tmp, SyncChart.RELEASE, NAMESPACE, ssc, Map.of());
    assertEquals(0, asIs.exit(), asIs.stderr());
    Container sscImageSwapped = manager(only(SyncChart.render(tmp, NAMESPACE, ssc, Map.of()), Deployment.class));
    assertTrue(sscImageSwapped.getImage().startsWith("sscsi/driver:"), sscImageSwapped.getImage());
    String notes = SyncChart.notes(tmp, NAMESPACE, ssc);
    assertTrue(notes.contains("runs sscsi's image instead: " + sscImageSwapped.getImage()), notes);
    assertFalse(SyncChart.notes(tmp, NAMESPACE, ssc.replace("registry.k8s.io/secrets-store-sync/controller",
        "example.org/mirror/sscsi")).contains("instead"), "an image that is not SSC's is used as given");

    List<HasMetadata> rendered = SyncChart.render(tmp, NAMESPACE, ssc, OUR_IMAGE);
    Deployment d = only(rendered, Deployment.class);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Container manager = manager(d);
    assertEquals("sscsi/driver:0.1.0", manager.getImage());
    assertEquals("secrets-store-sync-controller", d.getMetadata().getName());
    assertEquals("secrets-store-sync-controller", pod.getServiceAccountName());
    List<String> args = manager.getArgs();
    assertEquals("sync-controller", args.get(0), "the image's entrypoint is `java -jar /app/sscsi.jar`");
    assertEquals("", flag(args, "--token-request-audience"), "SSC's default: one entry without an audience");
    assertEquals("12h", flag(args, "--rotation-poll-interval"));
    assertEquals(":8085", flag(args, "--metrics-bind-address"));
    assertEquals("/provider", flag(args, "--provider-volume"));
    assertEquals("2", flag(args, "-v"));
    assertTrue(args.contains("--leader-elect"), args.toString());
    assertEquals(Map.of("kubectl.kubernetes.io/default-container", "manager"),
        d.getSpec().getTemplate().getMetadata().getAnnotations());
    Map<String, String> labels = d.getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(labels.entrySet().containsAll(Map.of("control-plane", "controller-manager",
        "secrets-store.io/system", "true", "app", "secrets-store-sync-controller").entrySet()), labels.toString());
    assertTrue(labels.entrySet().containsAll(d.getSpec().getSelector().getMatchLabels().entrySet()),
        "the selector selects the pods");
    assertEquals(Map.of("kubernetes.io/os", "linux"), pod.getNodeSelector());
    assertEquals("Exists", pod.getTolerations().get(0).getOperator());
    assertNull(pod.getAffinity());
    assertEquals(new Quantity("128Mi"), manager.getResources().getLimits().get("memory"));
    assertEquals(new Quantity("10m"), manager.getResources().getRequests().get("cpu"));
    assertEquals(Boolean.FALSE, manager.getSecurityContext().getAllowPrivilegeEscalation());
    assertEquals(List.of("ALL"), manager.getSecurityContext().getCapabilities().getDrop());
    // the provider sidecar, as given, sharing the provider volume
    Container provider = pod.getContainers().stream().filter(c -> c.getName().equals("provider-e2e-installer"))
        .findFirst().orElseThrow(() -> new AssertionError("no provider sidecar"));
    assertEquals(List.of("--endpoint=unix:///provider/e2e-provider.sock"), provider.getArgs());
    assertEquals("/provider", StaticManifestsTest.mount(provider, "providervol").getMountPath());
    assertEquals("/provider", StaticManifestsTest.mount(manager, "providervol").getMountPath());
    Volume providers = pod.getVolumes().stream().filter(v -> v.getName().equals("providervol")).findFirst().orElseThrow();
    assertEquals("/var/run/secrets-store-sync-providers", providers.getHostPath().getPath());
    // policies on, with SSC's allowed types and our default denied one
    ValidatingAdmissionPolicy types = named(rendered, ValidatingAdmissionPolicy.class,
        "secrets-store-sync-controller-create-update-policy");
    assertTrue(variable(types, "allowedSecretType").contains("\"kubernetes.io/tls\""));
    assertEquals("object.type in [\"kubernetes.io/service-account-token\"]", variable(types, "deniedSecretType"));
    assertEquals(POLICIES, names(rendered, ValidatingAdmissionPolicy.class));
  }

  /**
   * SSC's chart joins audiences with ", " while its binary splits on "," without trimming, so a second
   * audience gets a leading space (and its token policy then refuses the request). Here they are joined
   * with "," and trimmed, empty entries are left out, and the token policy allows exactly those.
   */
  @Test
  void audiencesAreJoinedWithoutSpaces() throws Exception {
    List<HasMetadata> rendered = render("""
        tokenRequestAudience:
          - audience: api://AzureADTokenExchange
          - audience: " sts.amazonaws.com "
          - audience:
          - audience: vault
        """);
    List<String> args = manager(only(rendered, Deployment.class)).getArgs();
    assertEquals("api://AzureADTokenExchange,sts.amazonaws.com,vault", flag(args, "--token-request-audience"));
    ValidatingAdmissionPolicy token = named(rendered, ValidatingAdmissionPolicy.class,
        "secrets-store-sync-controller-validate-token-policy");
    assertEquals("has(object.spec.audiences) && size(object.spec.audiences) == 1 && object.spec.audiences[0] in "
        + "[\"api://AzureADTokenExchange\",\"sts.amazonaws.com\",\"vault\"]", variable(token, "hasOneConfiguredAudience"));
    assertEquals("has(object.spec.expirationSeconds) && object.spec.expirationSeconds == 600",
        variable(token, "expiresIn600Seconds"));
    assertEquals(List.of("CREATE"), token.getSpec().getMatchConstraints().getResourceRules().get(0).getOperations());
    assertEquals(List.of("serviceaccounts/token"),
        token.getSpec().getMatchConstraints().getResourceRules().get(0).getResources());
  }

  /** No audience configured: the controller asks for no token, and the policy allows none. */
  @Test
  void withoutAudiencesNoTokenIsAllowed() throws Exception {
    List<HasMetadata> rendered = render("tokenRequestAudience: []\n");
    assertEquals("", flag(manager(only(rendered, Deployment.class)).getArgs(), "--token-request-audience"));
    assertEquals("false", variable(named(rendered, ValidatingAdmissionPolicy.class,
        "secrets-store-sync-controller-validate-token-policy"), "hasOneConfiguredAudience"));
  }

  /**
   * Every policy matches only requests of our ServiceAccount, system:serviceaccount:<release
   * namespace>:<controllerName>, the account the Deployment runs as and the bindings name; each has its
   * SSC-named binding that denies. applyPolicies=false renders none.
   */
  @Test
  void policiesAreKeyedOnOurServiceAccount() throws Exception {
    List<HasMetadata> rendered = SyncChart.render(tmp, "secrets", "controllerName: my-sync\n", Map.of());
    String user = "system:serviceaccount:secrets:my-sync";
    ServiceAccount sa = only(rendered, ServiceAccount.class);
    assertEquals("my-sync", sa.getMetadata().getName());
    assertEquals("secrets", sa.getMetadata().getNamespace());
    Deployment d = only(rendered, Deployment.class);
    assertEquals("my-sync", d.getSpec().getTemplate().getSpec().getServiceAccountName());
    assertEquals("secrets", flag(manager(d).getArgs(), "--leader-election-namespace"));
    for (Subject s : only(rendered, ClusterRoleBinding.class).getSubjects()) {
      assertEquals(List.of("ServiceAccount", "my-sync", "secrets"), List.of(s.getKind(), s.getName(), s.getNamespace()));
    }
    for (Subject s : only(rendered, RoleBinding.class).getSubjects()) {
      assertEquals(List.of("ServiceAccount", "my-sync", "secrets"), List.of(s.getKind(), s.getName(), s.getNamespace()));
    }
    List<ValidatingAdmissionPolicy> policies = all(rendered, ValidatingAdmissionPolicy.class);
    assertEquals(POLICIES, names(rendered, ValidatingAdmissionPolicy.class));
    for (ValidatingAdmissionPolicy p : policies) {
      assertEquals(1, p.getSpec().getMatchConditions().size(), p.getMetadata().getName());
      assertEquals("request.userInfo.username == '" + user + "'",
          p.getSpec().getMatchConditions().get(0).getExpression(), p.getMetadata().getName());
      assertEquals("Fail", p.getSpec().getFailurePolicy());
    }
    Map<String, ValidatingAdmissionPolicyBinding> bindings = all(rendered, ValidatingAdmissionPolicyBinding.class)
        .stream().collect(Collectors.toMap(b -> b.getMetadata().getName(), Function.identity()));
    assertEquals(POLICIES.stream().map(n -> n + "-binding").collect(Collectors.toSet()), bindings.keySet());
    bindings.forEach((name, b) -> {
      assertEquals(name, b.getSpec().getPolicyName() + "-binding");
      assertEquals(List.of("Deny"), b.getSpec().getValidationActions());
    });

    List<HasMetadata> off = SyncChart.render(tmp, "secrets",
        "validatingAdmissionPolicies: {applyPolicies: false}\n", Map.of());
    assertTrue(all(off, ValidatingAdmissionPolicy.class).isEmpty());
    assertTrue(all(off, ValidatingAdmissionPolicyBinding.class).isEmpty());
  }

  /**
   * The Secret policy as SSC's (one SecretSync owner of the same name, allowed and not denied types), with
   * one exception for sscsi.io/retain-on-delete: an update that drops that single owner.
   */
  @Test
  void secretPoliciesAreSsc() throws Exception {
    List<HasMetadata> rendered = render("""
        validatingAdmissionPolicies:
          allowedSecretTypes: [Opaque]
          deniedSecretTypes: []
        """);
    ValidatingAdmissionPolicy cu = named(rendered, ValidatingAdmissionPolicy.class,
        "secrets-store-sync-controller-create-update-policy");
    assertEquals(List.of("CREATE", "UPDATE"), cu.getSpec().getMatchConstraints().getResourceRules().get(0).getOperations());
    assertEquals("object.type in [\"Opaque\"]", variable(cu, "allowedSecretType"));
    assertEquals("false", variable(cu, "deniedSecretType"));
    assertTrue(variable(cu, "hasOneSecretSyncOwner").contains("size(object.metadata.ownerReferences) == 1"));
    assertTrue(variable(cu, "hasOneSecretSyncOwner").contains("o.name == object.metadata.name"));
    assertTrue(variable(cu, "releasesItsSecretSyncOwner").startsWith("request.operation == 'UPDATE' && "));
    ValidatingAdmissionPolicy label = named(rendered, ValidatingAdmissionPolicy.class,
        "secrets-store-sync-controller-update-label-policy");
    assertTrue(variable(label, "hadTheLabel").contains("oldObject.metadata.labels['secrets-store.sync.x-k8s.io'] == ''"));
    ValidatingAdmissionPolicy delete = named(rendered, ValidatingAdmissionPolicy.class,
        "secrets-store-sync-controller-delete-policy");
    assertEquals(List.of("DELETE"), delete.getSpec().getMatchConstraints().getResourceRules().get(0).getOperations());
    assertEquals("false", delete.getSpec().getValidations().get(0).getExpression());
  }

  /**
   * SSC's roles, plus get/list/watch on Secrets (self-healing) and update/patch on SecretSyncs and update on
   * their finalizers (the retain-on-delete finalizer; fabric8's edit() patches).
   */
  @Test
  void rolesAreSscsPlusWhatSscsiNeeds() throws Exception {
    List<HasMetadata> rendered = render("{}\n");
    ClusterRole role = named(rendered, ClusterRole.class, "secrets-store-sync-controller-role");
    assertEquals(new TreeMap<>(Map.of(
        "/secrets", Set.of("create", "patch", "get", "list", "watch"),
        "/serviceaccounts/token", Set.of("create"),
        "/events", Set.of("create", "patch"),
        "events.k8s.io/events", Set.of("create", "patch"),
        "secrets-store.csi.x-k8s.io/secretproviderclasses", Set.of("get", "list", "watch"),
        "secret-sync.x-k8s.io/secretsyncs", Set.of("get", "list", "watch", "update", "patch"),
        "secret-sync.x-k8s.io/secretsyncs/status", Set.of("get", "patch", "update"),
        "secret-sync.x-k8s.io/secretsyncs/finalizers", Set.of("update"))), grants(role.getRules()));
    assertEquals(role.getMetadata().getName(), only(rendered, ClusterRoleBinding.class).getRoleRef().getName());
    Role election = only(rendered, Role.class);
    assertEquals(NAMESPACE, election.getMetadata().getNamespace());
    assertTrue(grants(election.getRules()).get("coordination.k8s.io/leases")
        .containsAll(Set.of("get", "create", "update")));
    assertEquals(election.getMetadata().getName(), only(rendered, RoleBinding.class).getRoleRef().getName());
    assertEquals(Map.of("secret-sync.x-k8s.io/secretsyncs", Set.of("get", "list", "watch"),
        "secret-sync.x-k8s.io/secretsyncs/status", Set.of("get")),
        grants(named(rendered, ClusterRole.class, "secretsync-viewer-role").getRules()));
    assertEquals(Set.of("create", "delete", "get", "list", "patch", "update", "watch"),
        grants(named(rendered, ClusterRole.class, "secretsync-editor-role").getRules())
            .get("secret-sync.x-k8s.io/secretsyncs"));
  }

  /** The Deployment: the contract's flags and env, probes on the health port, sscsi's values. */
  @Test
  void deploymentFlagsProbesAndEnv() throws Exception {
    Deployment d = only(render("""
        replicas: 2
        metricsPort: 9085
        healthProbePort: 9081
        rotationPollInterval: "0"
        logVerbosity: 5
        maxCallRecvMsgSize: 8388608
        admin: {addr: "0.0.0.0:9095"}
        nodeSelector: {pool: system}
        image: {repository: example.org/sscsi, digest: "sha256:0123"}
        """), Deployment.class);
    assertEquals(2, d.getSpec().getReplicas());
    Container c = manager(d);
    assertEquals("example.org/sscsi@sha256:0123", c.getImage());
    List<String> args = c.getArgs();
    assertEquals(":9085", flag(args, "--metrics-bind-address"));
    assertEquals(":9081", flag(args, "--health-probe-bind-address"));
    assertEquals("0", flag(args, "--rotation-poll-interval"));
    assertEquals("5", flag(args, "-v"));
    assertEquals("8388608", flag(args, "--max-call-recv-msg-size"));
    assertEquals("0.0.0.0:9095", flag(args, "--admin-addr"));
    assertEquals(9085, StaticManifestsTest.port(c, "metrics"));
    assertEquals(9081, StaticManifestsTest.port(c, "healthz"));
    assertEquals("/healthz", c.getLivenessProbe().getHttpGet().getPath());
    assertEquals("/readyz", c.getReadinessProbe().getHttpGet().getPath());
    assertEquals("/healthz", c.getStartupProbe().getHttpGet().getPath());
    for (var probe : List.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe())) {
      assertEquals("healthz", probe.getHttpGet().getPort().getStrVal());
    }
    Map<String, String> fieldRefs = c.getEnv().stream().filter(e -> e.getValueFrom() != null)
        .collect(Collectors.toMap(EnvVar::getName, e -> e.getValueFrom().getFieldRef().getFieldPath()));
    assertEquals(Map.of("SYNC_CONTROLLER_POD_NAME", "metadata.name", "SYNC_CONTROLLER_POD_UID", "metadata.uid",
        "POD_NAMESPACE", "metadata.namespace"), fieldRefs);
    assertEquals(Map.of("kubernetes.io/os", "linux", "pool", "system"),
        d.getSpec().getTemplate().getSpec().getNodeSelector());
    assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals("/tmp", StaticManifestsTest.mount(c, "tmp").getMountPath());
  }

  // ---- helpers ------------------------------------------------------------------------------

  static String variable(ValidatingAdmissionPolicy p, String name) {
    return p.getSpec().getVariables().stream().filter(v -> v.getName().equals(name)).map(Variable::getExpression)
        .findFirst().orElseThrow(() -> new AssertionError(p.getMetadata().getName() + " has no variable " + name));
  }

  static <T extends HasMetadata> Set<String> names(List<HasMetadata> rendered, Class<T> type) {
    return all(rendered, type).stream().map(r -> r.getMetadata().getName()).collect(Collectors.toSet());
  }

  private static final KubernetesSerialization KUBE = new KubernetesSerialization();
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Set<String> HELM_LABELS = Set.of("app.kubernetes.io/managed-by", "app.kubernetes.io/version",
      "helm.sh/chart");

  /** Objects as JSON by kind/namespace/name; with {@code dropHelmLabels}, without Helm's own labels. */
  static Map<String, JsonNode> byKey(List<HasMetadata> objects, boolean dropHelmLabels) {
    Map<String, JsonNode> out = new TreeMap<>();
    for (HasMetadata o : objects) {
      JsonNode json = JSON.readTree(KUBE.asJson(o));
      JsonNode labels = json.path("metadata").path("labels");
      if (dropHelmLabels && labels instanceof ObjectNode l) {
        HELM_LABELS.forEach(l::remove);
      }
      String key = o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
      assertFalse(out.containsKey(key), "twice: " + key);
      out.put(key, json);
    }
    return out;
  }
}
