package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.DEPLOY;
import static io.sscsi.deploy.Manifests.container;
import static io.sscsi.deploy.Manifests.flag;
import static io.sscsi.deploy.Manifests.grants;
import static io.sscsi.deploy.Manifests.load;
import static io.sscsi.deploy.Manifests.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.sscsi.k8s.model.SecretProviderClassPodStatusStatus;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The static manifests in deploy/*.yaml, loaded as typed fabric8 objects. */
class StaticManifestsTest {

  static final String DRIVER = "secrets-store.csi.k8s.io";
  static final String GROUP = "secrets-store.csi.x-k8s.io";
  static final String SA = "secrets-store-csi-driver";
  static final String NS = "kube-system";

  static Stream<Path> manifestFiles() throws IOException {
    try (Stream<Path> files = Files.list(DEPLOY)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("manifestFiles")
  void everyManifestLoadsAsTypedObjects(Path file) {
    List<HasMetadata> resources = load(file);
    for (HasMetadata r : resources) {
      assertNotNull(r.getMetadata().getName(), file + ": object without a name");
      assertEquals("sscsi", r.getMetadata().getLabels().get("app.kubernetes.io/part-of"),
          file + ": " + r.getKind() + " lacks the part-of label");
    }
  }

  @Test
  void theExpectedFilesAreThere() throws IOException {
    Set<String> names = manifestFiles().map(p -> p.getFileName().toString())
        .collect(Collectors.toCollection(TreeSet::new));
    assertTrue(names.containsAll(List.of(
        "csidriver.yaml",
        "rbac-secretproviderclass.yaml",
        "rbac-secretprovidersyncing.yaml",
        "role-secretproviderclasses-admin.yaml",
        "role-secretproviderclasses-viewer.yaml",
        "role-secretproviderclasspodstatuses-viewer.yaml",
        "secrets-store-csi-driver.yaml",
        "secrets-store.csi.x-k8s.io_secretproviderclasses.yaml",
        "secrets-store.csi.x-k8s.io_secretproviderclasspodstatuses.yaml")), names.toString());
  }

  // ---- CSIDriver ----------------------------------------------------------------------------

  @Test
  void csiDriver() {
    CSIDriver d = only(load(DEPLOY.resolve("csidriver.yaml")), CSIDriver.class);
    assertEquals(DRIVER, d.getMetadata().getName());
    assertEquals(Boolean.TRUE, d.getSpec().getPodInfoOnMount());
    assertEquals(Boolean.FALSE, d.getSpec().getAttachRequired());
    assertEquals(List.of("Ephemeral"), d.getSpec().getVolumeLifecycleModes());
    assertEquals(Boolean.TRUE, d.getSpec().getRequiresRepublish());
    assertTrue(d.getSpec().getTokenRequests() == null || d.getSpec().getTokenRequests().isEmpty(),
        "tokenRequests only as a commented example");
    assertNull(d.getSpec().getFsGroupPolicy(), "upstream leaves fsGroupPolicy to the API default");
  }

  /** The commented tokenRequests example, uncommented, is a valid CSIDriver. */
  @Test
  void csiDriverTokenRequestsExampleIsValid() {
    String text = Manifests.read(DEPLOY.resolve("csidriver.yaml"));
    StringBuilder uncommented = new StringBuilder();
    boolean inExample = false;
    int exampleLines = 0;
    for (String line : text.split("\n", -1)) {
      if (line.contains("--- tokenRequests example begin")) {
        inExample = true;
      } else if (line.contains("--- tokenRequests example end")) {
        inExample = false;
      } else if (inExample) {
        uncommented.append(line.replaceFirst("# ", "")).append('\n');
        exampleLines++;
      } else {
        uncommented.append(line).append('\n');
      }
    }
    assertTrue(exampleLines >= 2, "example block not found");
    CSIDriver d = only(load(uncommented.toString(), "csidriver.yaml (example uncommented)"), CSIDriver.class);
    assertEquals(2, d.getSpec().getTokenRequests().size());
    assertEquals("vault", d.getSpec().getTokenRequests().get(0).getAudience());
    assertEquals(3600L, d.getSpec().getTokenRequests().get(0).getExpirationSeconds());
  }

  // ---- DaemonSet ----------------------------------------------------------------------------

  static DaemonSet daemonSet() {
    return only(load(DEPLOY.resolve("secrets-store-csi-driver.yaml")), DaemonSet.class);
  }

  @Test
  void daemonSetIdentityMatchesUpstream() {
    DaemonSet ds = daemonSet();
    assertEquals("csi-secrets-store", ds.getMetadata().getName());
    assertEquals(NS, ds.getMetadata().getNamespace());
    assertEquals(Map.of("app", "csi-secrets-store"), ds.getSpec().getSelector().getMatchLabels());
    assertEquals("csi-secrets-store", ds.getSpec().getTemplate().getMetadata().getLabels().get("app"));
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertEquals(SA, pod.getServiceAccountName());
    assertEquals("linux", pod.getNodeSelector().get("kubernetes.io/os"));
    assertEquals(1, pod.getTolerations().size());
    assertEquals("Exists", pod.getTolerations().get(0).getOperator());
    assertNull(pod.getTolerations().get(0).getKey());
    assertEquals("RollingUpdate", ds.getSpec().getUpdateStrategy().getType());
    assertEquals(1, ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal());
    assertEquals(List.of("node-driver-registrar", "secrets-store", "liveness-probe"),
        pod.getContainers().stream().map(Container::getName).toList());
    assertFalse(Boolean.TRUE.equals(pod.getHostNetwork()));
  }

  @Test
  void daemonSetPrivilegeOnlyWhereMountNeedsIt() {
    DaemonSet ds = daemonSet();
    for (Container c : ds.getSpec().getTemplate().getSpec().getContainers()) {
      var sc = c.getSecurityContext();
      assertNotNull(sc, c.getName() + ": no securityContext");
      assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), c.getName() + ": root file system writable");
      if (c.getName().equals("secrets-store")) {
        assertEquals(Boolean.TRUE, sc.getPrivileged());
        assertEquals(0L, sc.getRunAsUser());
      } else {
        assertFalse(Boolean.TRUE.equals(sc.getPrivileged()), c.getName() + " is privileged");
        assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), c.getName());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), c.getName());
        assertTrue(sc.getCapabilities().getAdd() == null || sc.getCapabilities().getAdd().isEmpty());
        for (VolumeMount m : c.getVolumeMounts()) {
          assertNull(m.getMountPropagation(), c.getName() + " propagates " + m.getMountPath());
        }
      }
    }
    assertEquals("RuntimeDefault",
        ds.getSpec().getTemplate().getSpec().getSecurityContext().getSeccompProfile().getType());
  }

  @Test
  void driverMountsKubeletPodsBidirectionallyAtTheHostPath() {
    DaemonSet ds = daemonSet();
    Container driver = container(ds, "secrets-store");
    Map<String, Volume> volumes = volumes(ds);
    List<VolumeMount> bidirectional = driver.getVolumeMounts().stream()
        .filter(m -> "Bidirectional".equals(m.getMountPropagation())).toList();
    assertEquals(1, bidirectional.size(), "exactly one Bidirectional mount");
    VolumeMount pods = bidirectional.get(0);
    assertEquals("/var/lib/kubelet/pods", pods.getMountPath());
    assertEquals(pods.getMountPath(), volumes.get(pods.getName()).getHostPath().getPath(),
        "kubelet passes host paths: the container path must equal the host path");
    assertEquals("/csi", mount(driver, "plugin-dir").getMountPath());
    assertEquals("/var/lib/kubelet/plugins/csi-secrets-store/", volumes.get("plugin-dir").getHostPath().getPath());
    assertEquals("/var/lib/kubelet/plugins_registry/", volumes.get("registration-dir").getHostPath().getPath());
    // provider socket directories, mounted at their host paths, read-only
    for (String dir : List.of("/var/run/secrets-store-csi-providers", "/etc/kubernetes/secrets-store-csi-providers")) {
      VolumeMount m = driver.getVolumeMounts().stream().filter(v -> v.getMountPath().equals(dir)).findFirst()
          .orElseThrow(() -> new AssertionError("provider dir not mounted: " + dir));
      assertEquals(dir, volumes.get(m.getName()).getHostPath().getPath());
      assertEquals(Boolean.TRUE, m.getReadOnly());
    }
    // the JVM's only writable directory
    VolumeMount tmp = mount(driver, "tmp");
    assertEquals("/tmp", tmp.getMountPath());
    assertNotNull(volumes.get("tmp").getEmptyDir());
    assertNull(volumes.get("tmp").getEmptyDir().getMedium(), "a tmpfs /tmp would count against the memory limit");
  }

  @Test
  void everyMountHasAVolumeAndEveryVolumeIsMounted() {
    DaemonSet ds = daemonSet();
    Map<String, Volume> volumes = volumes(ds);
    Set<String> mounted = new TreeSet<>();
    for (Container c : ds.getSpec().getTemplate().getSpec().getContainers()) {
      for (VolumeMount m : c.getVolumeMounts()) {
        assertTrue(volumes.containsKey(m.getName()), c.getName() + " mounts unknown volume " + m.getName());
        mounted.add(m.getName());
      }
    }
    assertEquals(new TreeSet<>(volumes.keySet()), mounted);
  }

  @Test
  void driverArgsCarryUpstreamFlags() {
    DaemonSet ds = daemonSet();
    Container driver = container(ds, "secrets-store");
    List<String> args = driver.getArgs();
    assertEquals("driver", args.get(0), "the image's entrypoint is `java -jar /app/sscsi.jar`");
    assertEquals("$(CSI_ENDPOINT)", flag(args, "--endpoint"), "upstream's form: patches that set CSI_ENDPOINT keep working");
    assertEquals("unix:///csi/csi.sock", env(driver, "CSI_ENDPOINT").getValue());
    assertEquals("$(KUBE_NODE_NAME)", flag(args, "--nodeid"));
    assertEquals("/var/run/secrets-store-csi-providers", flag(args, "--provider-volume"));
    assertEquals("/etc/kubernetes/secrets-store-csi-providers", flag(args, "--additional-provider-volume-paths"));
    assertEquals(":8095", flag(args, "--metrics-addr"));
    assertEquals("false", flag(args, "--enable-secret-rotation"));
    assertEquals("2m", flag(args, "--rotation-poll-interval"));
    assertEquals("false", flag(args, "--provider-health-check"));
    assertEquals("2m", flag(args, "--provider-health-check-interval"));
    assertEquals("4194304", flag(args, "--max-call-recv-msg-size"));
    assertEquals("false", flag(args, "--log-format-json"));
    assertEquals("127.0.0.1:8096", flag(args, "--admin-addr"), "the admin endpoint stays on loopback");
    EnvVar node = env(driver, "KUBE_NODE_NAME");
    assertEquals("spec.nodeName", node.getValueFrom().getFieldRef().getFieldPath());
    // every $(VAR) in the args is defined in the container's env
    Pattern ref = Pattern.compile("\\$\\(([A-Z_]+)\\)");
    for (String a : args) {
      Matcher m = ref.matcher(a);
      while (m.find()) {
        env(driver, m.group(1));
      }
    }
  }

  @Test
  void registrarPointsKubeletAtThePluginSocket() {
    DaemonSet ds = daemonSet();
    Container reg = container(ds, "node-driver-registrar");
    assertTrue(reg.getImage().startsWith("registry.k8s.io/sig-storage/csi-node-driver-registrar:v"), reg.getImage());
    assertEquals("/csi/csi.sock", flag(reg.getArgs(), "--csi-address"));
    String hostSocket = flag(reg.getArgs(), "--kubelet-registration-path");
    assertEquals(volumes(ds).get("plugin-dir").getHostPath().getPath() + "csi.sock", hostSocket);
    assertEquals("/registration", mount(reg, "registration-dir").getMountPath());
    List<String> probe = reg.getLivenessProbe().getExec().getCommand();
    assertTrue(probe.contains("--mode=kubelet-registration-probe"), probe.toString());
    assertTrue(probe.contains("--kubelet-registration-path=" + hostSocket), probe.toString());
    // the probe file goes next to the host socket path, which must be writable with a read-only root
    Path probeDir = Path.of(hostSocket).getParent();
    VolumeMount writable = reg.getVolumeMounts().stream()
        .filter(m -> Path.of(m.getMountPath()).equals(probeDir)).findFirst()
        .orElseThrow(() -> new AssertionError("registrar cannot write its probe file under " + probeDir));
    assertNotNull(volumes(ds).get(writable.getName()).getEmptyDir());
  }

  @Test
  void probesGoThroughTheLivenessSidecar() {
    DaemonSet ds = daemonSet();
    Container driver = container(ds, "secrets-store");
    Container sidecar = container(ds, "liveness-probe");
    assertEquals("/csi/csi.sock", flag(sidecar.getArgs(), "--csi-address"));
    assertEquals("3s", flag(sidecar.getArgs(), "--probe-timeout"));
    assertEquals("0.0.0.0:9808", flag(sidecar.getArgs(), "--http-endpoint"));
    int healthz = port(driver, "healthz");
    assertEquals(9808, healthz);
    assertEquals(8095, port(driver, "metrics"));
    var live = driver.getLivenessProbe();
    assertEquals("/healthz", live.getHttpGet().getPath());
    assertEquals("healthz", live.getHttpGet().getPort().getStrVal());
    assertEquals(30, live.getInitialDelaySeconds());
    assertEquals(10, live.getTimeoutSeconds());
    assertEquals(15, live.getPeriodSeconds());
    assertEquals(5, live.getFailureThreshold());
    assertEquals(null, driver.getReadinessProbe(), "no readiness probe, as upstream (UpstreamRollbackShapeTest)");
  }

  @Test
  void resourcesAndJvmFlagsFitTogether() {
    DaemonSet ds = daemonSet();
    Container driver = container(ds, "secrets-store");
    Map<String, Quantity> limits = driver.getResources().getLimits();
    Map<String, Quantity> requests = driver.getResources().getRequests();
    assertEquals(new Quantity("256Mi"), limits.get("memory"));
    assertEquals(new Quantity("200m"), limits.get("cpu"));
    assertEquals(new Quantity("192Mi"), requests.get("memory"));
    assertEquals(new Quantity("50m"), requests.get("cpu"));
    for (String sidecar : List.of("node-driver-registrar", "liveness-probe")) {
      var r = container(ds, sidecar).getResources();
      assertEquals(new Quantity("100Mi"), r.getLimits().get("memory"), sidecar);
      assertEquals(new Quantity("20Mi"), r.getRequests().get("memory"), sidecar);
    }
    List<String> jvm = Arrays.asList(env(driver, "JAVA_TOOL_OPTIONS").getValue().split(" "));
    assertFalse(jvm.contains(""), "JAVA_TOOL_OPTIONS has empty words: " + jvm);
    assertTrue(jvm.contains("-XX:+ExitOnOutOfMemoryError"), jvm.toString());
    assertTrue(jvm.contains("-Djava.io.tmpdir=/tmp"), jvm.toString());
    assertTrue(jvm.stream().noneMatch(f -> f.startsWith("-Xmx") || f.startsWith("-Xms")),
        "size the heap from the container limit, not a fixed -Xmx");
    double heapShare = jvm.stream().filter(f -> f.startsWith("-XX:MaxRAMPercentage="))
        .mapToDouble(f -> Double.parseDouble(f.substring(f.indexOf('=') + 1))).findFirst()
        .orElseThrow(() -> new AssertionError("no -XX:MaxRAMPercentage"));
    assertTrue(heapShare > 0 && heapShare <= 60, "the heap must leave room for the JVM's non-heap memory");
    long limitMiB = limits.get("memory").getNumericalAmount().longValue() >> 20;
    long heapMiB = (long) (limitMiB * heapShare / 100);
    long directMiB = mebibytes(jvm, "-XX:MaxDirectMemorySize=");
    assertTrue(heapMiB + directMiB <= limitMiB * 0.75,
        "heap " + heapMiB + "Mi + direct " + directMiB + "Mi leaves too little of " + limitMiB + "Mi");
    assertTrue(mebibytes(jvm, "-XX:MaxMetaspaceSize=") > 0, "metaspace is bounded");
  }

  // ---- CRDs ---------------------------------------------------------------------------------

  static CustomResourceDefinition crd(String plural) {
    return only(load(DEPLOY.resolve(GROUP + "_" + plural + ".yaml")), CustomResourceDefinition.class);
  }

  @Test
  void crdVersionsV1StoredV1alpha1Served() {
    for (String plural : List.of("secretproviderclasses", "secretproviderclasspodstatuses")) {
      CustomResourceDefinition crd = crd(plural);
      assertEquals(plural + "." + GROUP, crd.getMetadata().getName());
      assertEquals(GROUP, crd.getSpec().getGroup());
      assertEquals("Namespaced", crd.getSpec().getScope());
      assertEquals(plural, crd.getSpec().getNames().getPlural());
      assertEquals(crd.getSpec().getNames().getKind() + "List", crd.getSpec().getNames().getListKind());
      List<CustomResourceDefinitionVersion> versions = crd.getSpec().getVersions();
      assertEquals(List.of("v1", "v1alpha1"), versions.stream().map(CustomResourceDefinitionVersion::getName).toList());
      assertEquals(1, versions.stream().filter(v -> Boolean.TRUE.equals(v.getStorage())).count());
      assertEquals(Boolean.TRUE, versions.get(0).getStorage());
      assertEquals(Boolean.TRUE, versions.get(0).getServed());
      assertEquals(Boolean.TRUE, versions.get(1).getServed());
      assertEquals(Boolean.FALSE, versions.get(1).getStorage());
      for (CustomResourceDefinitionVersion v : versions) {
        assertNull(v.getSubresources(), "upstream has no status subresource: the driver writes whole objects");
        assertEquals("object", v.getSchema().getOpenAPIV3Schema().getType());
      }
    }
    assertEquals("SecretProviderClass", crd("secretproviderclasses").getSpec().getNames().getKind());
    assertEquals("SecretProviderClassPodStatus", crd("secretproviderclasspodstatuses").getSpec().getNames().getKind());
    CustomResourceDefinitionVersion alpha = crd("secretproviderclasses").getSpec().getVersions().get(1);
    assertEquals(Boolean.TRUE, alpha.getDeprecated());
    assertTrue(alpha.getDeprecationWarning().contains("Use secrets-store.csi.x-k8s.io/v1 instead"));
  }

  /** The schema has upstream's fields, which are the fields of the driver's own model classes. */
  @Test
  void secretProviderClassSchemaMatchesTheModel() {
    for (CustomResourceDefinitionVersion v : crd("secretproviderclasses").getSpec().getVersions()) {
      JSONSchemaProps spec = prop(v.getSchema().getOpenAPIV3Schema(), "spec");
      assertEquals(components(SecretProviderClassSpec.class), spec.getProperties().keySet(), v.getName());
      assertEquals("string", prop(spec, "provider").getType());
      JSONSchemaProps params = prop(spec, "parameters");
      assertEquals("object", params.getType());
      assertEquals("string", params.getAdditionalProperties().getSchema().getType());
      JSONSchemaProps secretObject = prop(spec, "secretObjects").getItems().getSchema();
      assertEquals(components(SecretProviderClassSpec.SecretObject.class), secretObject.getProperties().keySet());
      JSONSchemaProps data = prop(secretObject, "data").getItems().getSchema();
      assertEquals(components(SecretProviderClassSpec.SecretObjectData.class), data.getProperties().keySet());
    }
    JSONSchemaProps alphaStatus = prop(crd("secretproviderclasses").getSpec().getVersions().get(1)
        .getSchema().getOpenAPIV3Schema(), "status");
    assertEquals(Set.of("id", "namespace"),
        prop(alphaStatus, "byPod").getItems().getSchema().getProperties().keySet());
  }

  @Test
  void podStatusSchemaMatchesTheModel() {
    for (CustomResourceDefinitionVersion v : crd("secretproviderclasspodstatuses").getSpec().getVersions()) {
      JSONSchemaProps root = v.getSchema().getOpenAPIV3Schema();
      assertEquals(Set.of("apiVersion", "kind", "metadata", "status"), root.getProperties().keySet());
      JSONSchemaProps status = prop(root, "status");
      assertEquals(components(SecretProviderClassPodStatusStatus.class), status.getProperties().keySet());
      assertEquals("boolean", prop(status, "mounted").getType());
      assertEquals(components(SecretProviderClassPodStatusStatus.ObjectVersion.class),
          prop(status, "objects").getItems().getSchema().getProperties().keySet());
    }
  }

  // ---- RBAC ---------------------------------------------------------------------------------

  @Test
  void baseRbac() {
    List<HasMetadata> rs = load(DEPLOY.resolve("rbac-secretproviderclass.yaml"));
    ServiceAccount sa = only(rs, ServiceAccount.class);
    assertEquals(SA, sa.getMetadata().getName());
    assertEquals(NS, sa.getMetadata().getNamespace());
    ClusterRole role = only(rs, ClusterRole.class);
    assertEquals("secretproviderclasses-role", role.getMetadata().getName());
    assertEquals(Map.of(
        "/events", Set.of("create", "patch"),
        "/pods", Set.of("get", "list", "watch"),
        GROUP + "/secretproviderclasses", Set.of("get", "list", "watch"),
        GROUP + "/secretproviderclasspodstatuses",
            Set.of("create", "delete", "get", "list", "patch", "update", "watch"),
        GROUP + "/secretproviderclasspodstatuses/status", Set.of("get", "patch", "update"),
        "storage.k8s.io/csidrivers@" + DRIVER, Set.of("get", "list", "watch")), grants(role));
    assertBindsDriver(only(rs, ClusterRoleBinding.class), role);
  }

  @Test
  void syncingRbac() {
    List<HasMetadata> rs = load(DEPLOY.resolve("rbac-secretprovidersyncing.yaml"));
    ClusterRole role = only(rs, ClusterRole.class);
    assertEquals("secretprovidersyncing-role", role.getMetadata().getName());
    assertEquals(Map.of("/secrets", Set.of("create", "delete", "get", "list", "patch", "update", "watch")),
        grants(role));
    assertBindsDriver(only(rs, ClusterRoleBinding.class), role);
  }

  /**
   * Like upstream v1.6 there is no token request role: kubelet mints the tokens (CSIDriver
   * tokenRequests) and the driver never calls the TokenRequest API. Only the syncing role
   * touches Secrets.
   */
  @Test
  void noRoleMintsTokensAndOnlySyncingReadsSecrets() throws IOException {
    for (Path file : manifestFiles().toList()) {
      for (ClusterRole role : Manifests.all(load(file), ClusterRole.class)) {
        for (String grant : grants(role).keySet()) {
          assertFalse(grant.startsWith("/serviceaccounts"), role.getMetadata().getName() + " grants " + grant);
          if (grant.startsWith("/secrets")) {
            assertEquals("secretprovidersyncing-role", role.getMetadata().getName());
          }
          assertFalse(grant.contains("*"), role.getMetadata().getName() + " grants a wildcard");
        }
      }
    }
  }

  @Test
  void aggregatedRoles() {
    ClusterRole admin = only(load(DEPLOY.resolve("role-secretproviderclasses-admin.yaml")), ClusterRole.class);
    assertEquals("true", admin.getMetadata().getLabels().get("rbac.authorization.k8s.io/aggregate-to-admin"));
    assertEquals("true", admin.getMetadata().getLabels().get("rbac.authorization.k8s.io/aggregate-to-edit"));
    assertEquals(Map.of(GROUP + "/secretproviderclasses",
        Set.of("create", "delete", "get", "list", "patch", "update", "watch")), grants(admin));
    for (String f : List.of("role-secretproviderclasses-viewer.yaml", "role-secretproviderclasspodstatuses-viewer.yaml")) {
      ClusterRole viewer = only(load(DEPLOY.resolve(f)), ClusterRole.class);
      assertEquals("true", viewer.getMetadata().getLabels().get("rbac.authorization.k8s.io/aggregate-to-view"), f);
      grants(viewer).values().forEach(verbs -> assertEquals(Set.of("get", "list", "watch"), verbs, f));
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  static void assertBindsDriver(ClusterRoleBinding b, ClusterRole role) {
    assertEquals("ClusterRole", b.getRoleRef().getKind());
    assertEquals("rbac.authorization.k8s.io", b.getRoleRef().getApiGroup());
    assertEquals(role.getMetadata().getName(), b.getRoleRef().getName());
    assertEquals(1, b.getSubjects().size());
    assertEquals("ServiceAccount", b.getSubjects().get(0).getKind());
    assertEquals(SA, b.getSubjects().get(0).getName());
    assertEquals(NS, b.getSubjects().get(0).getNamespace());
  }

  static Map<String, Volume> volumes(DaemonSet ds) {
    return ds.getSpec().getTemplate().getSpec().getVolumes().stream()
        .collect(Collectors.toMap(Volume::getName, v -> v));
  }

  static VolumeMount mount(Container c, String volume) {
    return c.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
        .orElseThrow(() -> new AssertionError(c.getName() + " does not mount " + volume));
  }

  static EnvVar env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(c.getName() + " has no env " + name));
  }

  static int port(Container c, String name) {
    return c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .orElseThrow(() -> new AssertionError(c.getName() + " has no port " + name)).getContainerPort();
  }

  static JSONSchemaProps prop(JSONSchemaProps schema, String name) {
    JSONSchemaProps p = schema.getProperties().get(name);
    assertNotNull(p, "schema has no property " + name + ": " + schema.getProperties().keySet());
    return p;
  }

  static Set<String> components(Class<? extends Record> type) {
    return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  static long mebibytes(List<String> jvm, String prefix) {
    String v = jvm.stream().filter(f -> f.startsWith(prefix)).map(f -> f.substring(prefix.length()))
        .findFirst().orElseThrow(() -> new AssertionError("no " + prefix));
    List<String> units = new ArrayList<>(List.of("k", "m", "g"));
    char unit = Character.toLowerCase(v.charAt(v.length() - 1));
    long n = Long.parseLong(v.substring(0, v.length() - 1));
    return switch (units.indexOf(String.valueOf(unit))) {
      case 0 -> n >> 10;
      case 1 -> n;
      case 2 -> n << 10;
      default -> throw new AssertionError("unit of " + v);
    };
  }
}
