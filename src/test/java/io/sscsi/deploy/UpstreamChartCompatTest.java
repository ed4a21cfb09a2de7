package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.all;
import static io.sscsi.deploy.Manifests.container;
import static io.sscsi.deploy.Manifests.flag;
import static io.sscsi.deploy.Manifests.grants;
import static io.sscsi.deploy.Manifests.named;
import static io.sscsi.deploy.Manifests.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chart against upstream's chart (secrets-store-csi-driver v1.6), one test per point of issue 13
 * that a chart decides: names and selector (1), rbac.install (5), additionalProvidersDirs (6),
 * logVerbosity and automountServiceAccountToken (8), the CRD hooks (12). Expectations are upstream's
 * template rules, restated here. Needs helm ({@link Helm}); skipped without it.
 */
class UpstreamChartCompatTest {

  static final Set<String> BASE_RBAC = Set.of("secretproviderclasses-role", "secretproviderclasses-admin-role",
      "secretproviderclasses-viewer-role", "secretproviderclasspodstatuses-viewer-role");

  @TempDir
  Path tmp;

  @BeforeEach
  void requireHelm() {
    Helm.require();
  }

  List<HasMetadata> render(String release, String valuesYaml) throws Exception {
    return Helm.template(tmp, release, valuesYaml, "1.34.0", Map.of());
  }

  /**
   * Item 1. Upstream names the DaemonSet with the usual fullname rule over its chart name
   * "secrets-store-csi-driver" (fullnameOverride; else the release name if it contains the base name;
   * else release-base, cut to 63 characters), selects pods by {@code app: <base name>} alone, and puts
   * app and app.kubernetes.io/{name,instance,managed-by,version} plus helm.sh/chart on every object it
   * renders. A `helm upgrade` of an upstream release then patches the same DaemonSet with an equal
   * (immutable) selector, and label selectors on app= keep matching.
   */
  @ParameterizedTest(name = "release {0}, nameOverride ''{1}'', fullnameOverride ''{2}''")
  @CsvSource({
      "csi-secrets-store,                 '',   '',        csi-secrets-store-secrets-store-csi-driver, secrets-store-csi-driver",
      "secrets-store-csi-driver,          '',   '',        secrets-store-csi-driver,                   secrets-store-csi-driver",
      "prod-secrets-store-csi-driver-eu,  '',   '',        prod-secrets-store-csi-driver-eu,           secrets-store-csi-driver",
      "csi,                               sscd, '',        csi-sscd,                                   sscd",
      "csi,                               '',   my-driver, my-driver,                                  secrets-store-csi-driver",
      "csi,                               sscd, my-driver, my-driver,                                  sscd",
      "release-name-that-is-quite-long-for-a-cluster-x, '', '', release-name-that-is-quite-long-for-a-cluster-x-secrets-store-c, secrets-store-csi-driver",
  })
  void upgradeFromUpstreamFindsTheSameDaemonSet(String release, String nameOverride, String fullnameOverride,
      String daemonSetName, String app) throws Exception {
    List<HasMetadata> rendered = render(release, """
        nameOverride: "%s"
        fullnameOverride: "%s"
        commonLabels: {cost-center: "1234"}
        syncSecret: {enabled: true}
        """.formatted(nameOverride, fullnameOverride));
    DaemonSet ds = only(rendered, DaemonSet.class);
    assertEquals(daemonSetName, ds.getMetadata().getName());
    assertEquals("kube-system", ds.getMetadata().getNamespace());
    assertEquals(Map.of("app", app), ds.getSpec().getSelector().getMatchLabels(), "upstream's selector, exactly");
    Map<String, String> podLabels = ds.getSpec().getTemplate().getMetadata().getLabels();
    assertEquals(app, podLabels.get("app"), "the pods carry the selected label");
    assertEquals(app, podLabels.get("app.kubernetes.io/name"));
    assertEquals(release, podLabels.get("app.kubernetes.io/instance"));
    int objects = 0;
    for (HasMetadata r : rendered) {
      if (r instanceof CustomResourceDefinition) {
        continue; // crds/ files, not templates: upstream's carry no chart labels either
      }
      String what = r.getKind() + "/" + r.getMetadata().getName();
      Map<String, String> labels = r.getMetadata().getLabels();
      assertEquals(app, labels.get("app"), what);
      assertEquals(app, labels.get("app.kubernetes.io/name"), what);
      assertEquals(release, labels.get("app.kubernetes.io/instance"), what);
      assertEquals("Helm", labels.get("app.kubernetes.io/managed-by"), what);
      assertFalse(labels.getOrDefault("app.kubernetes.io/version", "").isEmpty(), what);
      assertTrue(labels.getOrDefault("helm.sh/chart", "").startsWith("sscsi-"), what);
      assertEquals("sscsi", labels.get("app.kubernetes.io/part-of"), what);
      assertEquals("1234", labels.get("cost-center"), what + ": commonLabels");
      objects++;
    }
    assertTrue(objects >= 15, "DaemonSet, CSIDriver, RBAC and hooks all checked: " + objects);
    // The hook Jobs' pods must not fall under the DaemonSet's selector.
    for (Job job : all(rendered, Job.class)) {
      Map<String, String> jobPodLabels = job.getSpec().getTemplate().getMetadata().getLabels();
      assertTrue(jobPodLabels == null || !app.equals(jobPodLabels.get("app")), job.getMetadata().getName());
    }
  }

  /**
   * Item 5. Upstream's rbac.install gates the service account, the driver's ClusterRole and binding and
   * the aggregated roles; the Secret sync role and binding depend on syncSecret.enabled alone. The
   * DaemonSet keeps running as secrets-store-csi-driver, which the operator provides.
   */
  @ParameterizedTest(name = "syncSecret.enabled={0}")
  @CsvSource({"true", "false"})
  void rbacInstallFalseLeavesTheServiceAccountAndBaseRbacToTheOperator(boolean sync) throws Exception {
    List<HasMetadata> chart = Helm.withoutHooks(render("csi-secrets-store",
        "rbac: {install: false}\nsyncSecret: {enabled: " + sync + "}\n"));
    assertTrue(all(chart, ServiceAccount.class).isEmpty(), "no service account: a pre-created one stays the operator's");
    Set<String> roles = new HashSet<>();
    all(chart, ClusterRole.class).forEach(r -> roles.add(r.getMetadata().getName()));
    Set<String> bindings = new HashSet<>();
    all(chart, ClusterRoleBinding.class).forEach(b -> bindings.add(b.getMetadata().getName()));
    assertEquals(sync ? Set.of("secretprovidersyncing-role") : Set.of(), roles);
    assertEquals(sync ? Set.of("secretprovidersyncing-rolebinding") : Set.of(), bindings);
    if (sync) {
      ClusterRole role = named(chart, ClusterRole.class, "secretprovidersyncing-role");
      StaticManifestsTest.assertBindsDriver(named(chart, ClusterRoleBinding.class, "secretprovidersyncing-rolebinding"), role);
      assertEquals(Map.of("/secrets", Set.of("create", "delete", "get", "list", "patch", "update", "watch")), grants(role));
    }
    assertEquals("secrets-store-csi-driver",
        only(chart, DaemonSet.class).getSpec().getTemplate().getSpec().getServiceAccountName());
    // and with rbac.install=true (the default) all of it is there
    List<HasMetadata> full = Helm.withoutHooks(render("csi-secrets-store", "syncSecret: {enabled: " + sync + "}\n"));
    assertEquals("secrets-store-csi-driver", only(full, ServiceAccount.class).getMetadata().getName());
    Set<String> fullRoles = new HashSet<>();
    all(full, ClusterRole.class).forEach(r -> fullRoles.add(r.getMetadata().getName()));
    assertTrue(fullRoles.containsAll(BASE_RBAC), fullRoles.toString());
    assertEquals(sync, fullRoles.contains("secretprovidersyncing-role"));
  }

  /**
   * Item 6. An additionalProvidersDirs entry equal to providersDir gets no second volume or mount (the
   * API server rejects two mounts at one path); upstream keeps the entry's index in the volume names
   * and passes the whole list to --additional-provider-volume-paths.
   */
  @Test
  void anAdditionalProvidersDirEqualToProvidersDirIsSkipped() throws Exception {
    DaemonSet ds = only(render("csi-secrets-store", """
        linux:
          providersDir: /var/run/secrets-store-csi-providers
          additionalProvidersDirs:
            - /var/run/secrets-store-csi-providers
            - /etc/kubernetes/secrets-store-csi-providers
        """), DaemonSet.class);
    Container driver = container(ds, "secrets-store");
    List<String> mountPaths = driver.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList();
    assertEquals(mountPaths.size(), new HashSet<>(mountPaths).size(), "duplicate mountPath: " + mountPaths);
    Map<String, Volume> volumes = StaticManifestsTest.volumes(ds);
    assertFalse(volumes.containsKey("providers-dir-0"), "the entry equal to providersDir");
    assertEquals("/var/run/secrets-store-csi-providers", volumes.get("providers-dir").getHostPath().getPath());
    assertEquals("/etc/kubernetes/secrets-store-csi-providers", volumes.get("providers-dir-1").getHostPath().getPath());
    assertEquals("/etc/kubernetes/secrets-store-csi-providers",
        StaticManifestsTest.mount(driver, "providers-dir-1").getMountPath());
    assertEquals("/var/run/secrets-store-csi-providers,/etc/kubernetes/secrets-store-csi-providers",
        flag(driver.getArgs(), "--additional-provider-volume-paths"));
  }

  /**
   * Item 8 (chart part). logVerbosity becomes {@code -v=<n>} right after the subcommand when it is not
   * 0, as upstream's chart passes it first; automountServiceAccountToken is the driver pod's field.
   */
  @Test
  void logVerbosityIsPassedAsVAndAutomountIsHonoured() throws Exception {
    DaemonSet quiet = only(render("csi-secrets-store", "{}\n"), DaemonSet.class);
    assertTrue(container(quiet, "secrets-store").getArgs().stream().noneMatch(a -> a.startsWith("-v")),
        "logVerbosity 0: no -v, as upstream");
    assertEquals(Boolean.TRUE, quiet.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken());

    DaemonSet verbose = only(render("csi-secrets-store", """
        logVerbosity: 4
        logFormatJSON: true
        automountServiceAccountToken: false
        """), DaemonSet.class);
    List<String> args = container(verbose, "secrets-store").getArgs();
    assertEquals(List.of("driver", "-v=4", "--log-format-json=true"), args.subList(0, 3));
    assertEquals(Boolean.FALSE, verbose.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken());
  }

  /**
   * Item 7 and 9: the hardening is opt-in. By default no tmpfs options and no strict payload flag (the
   * driver then behaves as upstream); the hardening values pass the named flags.
   */
  @Test
  void hardeningIsOptInThroughNamedValues() throws Exception {
    List<String> plain = container(only(render("csi-secrets-store", "{}\n"), DaemonSet.class), "secrets-store").getArgs();
    assertTrue(plain.stream().noneMatch(a -> a.startsWith("--tmpfs-mount-options") || a.startsWith("--strict-payload")
        || a.startsWith("--secret-owner")), plain.toString());
    assertEquals(null, container(only(render("csi-secrets-store", "{}\n"), DaemonSet.class), "secrets-store")
        .getReadinessProbe(), "no readiness probe, as upstream");
    io.fabric8.kubernetes.api.model.Container hardenedDriver = container(only(render("csi-secrets-store", """
        hardening:
          tmpfsMountOptions: nosuid,nodev,noexec,mode=0755
          strictPayload: true
          secretOwner: pod-status
          readinessProbe: true
        """), DaemonSet.class), "secrets-store");
    List<String> hardened = hardenedDriver.getArgs();
    assertTrue(hardened.contains("--tmpfs-mount-options=nosuid,nodev,noexec,mode=0755"), hardened.toString());
    assertTrue(hardened.contains("--strict-payload=true"), hardened.toString());
    assertTrue(hardened.contains("--secret-owner=pod-status"), hardened.toString());
    assertEquals("healthz", hardenedDriver.getReadinessProbe().getHttpGet().getPort().getStrVal());
  }

  /**
   * Item 12. As upstream's chart: with linux.crds.enabled (default) a pre-install/pre-upgrade Job runs
   * linux.crds.image with {@code apply -f crds/} under its own short-lived service account and
   * ClusterRole (CRD get/create/update/patch), and a pre-upgrade Job patches both CRDs with
   * {@code helm.sh/resource-policy: keep} (CRD get/patch). Both use imagePullSecrets, linux.nodeSelector,
   * linux.tolerations, linux.crds.annotations/podLabels/resources. Disabled: no hook at all.
   */
  @Test
  void crdHooksApplyAndKeepTheCrds() throws Exception {
    List<HasMetadata> rendered = render("csi-secrets-store", """
        imagePullSecrets: [{name: regcred}]
        linux:
          nodeSelector: {pool: system}
          tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
          crds:
            image: {repository: mirror.example/csi-secrets-store/driver-crds, tag: v1.6.0, pullPolicy: Always}
            annotations: {sidecar.istio.io/inject: "false"}
            podLabels: {team: platform}
            resources: {limits: {cpu: 100m, memory: 64Mi}}
        """);
    List<HasMetadata> hooks = Helm.hooks(rendered);
    String prefix = "csi-secrets-store-secrets-store-csi-driver";

    Job upgrade = named(hooks, Job.class, "secrets-store-csi-driver-upgrade-crds");
    assertEquals("pre-install,pre-upgrade", upgrade.getMetadata().getAnnotations().get("helm.sh/hook"));
    assertEquals("hook-succeeded,before-hook-creation",
        upgrade.getMetadata().getAnnotations().get("helm.sh/hook-delete-policy"));
    Container apply = jobContainer(upgrade, "crds-upgrade");
    assertEquals("mirror.example/csi-secrets-store/driver-crds:v1.6.0", apply.getImage());
    assertEquals("Always", apply.getImagePullPolicy());
    assertEquals(List.of("apply", "-f", "crds/"), apply.getArgs());
    assertEquals("64Mi", apply.getResources().getLimits().get("memory").toString());
    assertHookPod(upgrade, prefix + "-upgrade-crds");
    assertHookRbac(hooks, prefix + "-upgrade-crds", "pre-install,pre-upgrade", Set.of("create", "get", "patch", "update"));

    Job keep = named(hooks, Job.class, "secrets-store-csi-driver-keep-crds");
    assertEquals("pre-upgrade", keep.getMetadata().getAnnotations().get("helm.sh/hook"));
    Container patch = jobContainer(keep, "crds-keep");
    assertEquals(apply.getImage(), patch.getImage());
    List<String> args = patch.getArgs();
    assertEquals(List.of("patch", "crd", "secretproviderclasses.secrets-store.csi.x-k8s.io",
        "secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io"), args.subList(0, 4));
    String body = args.get(args.indexOf("-p") + 1);
    assertEquals("keep", Manifests.YAML.readTree(body).path("metadata").path("annotations")
        .path("helm.sh/resource-policy").asString());
    assertHookPod(keep, prefix + "-keep-crds");
    assertHookRbac(hooks, prefix + "-keep-crds", "pre-upgrade", Set.of("get", "patch"));

    // The upgrade Job runs after the keep Job (weights 10 and 2), its RBAC before both (weight 1).
    assertEquals("10", upgrade.getMetadata().getAnnotations().get("helm.sh/hook-weight"));
    assertEquals("2", keep.getMetadata().getAnnotations().get("helm.sh/hook-weight"));
    assertEquals("1", named(hooks, ClusterRole.class, prefix + "-upgrade-crds").getMetadata().getAnnotations()
        .get("helm.sh/hook-weight"));

    // defaults: upstream's image
    Job byDefault = named(render("csi-secrets-store", "{}\n"), Job.class, "secrets-store-csi-driver-upgrade-crds");
    assertEquals("registry.k8s.io/csi-secrets-store/driver-crds:v1.6.0", jobContainer(byDefault, "crds-upgrade").getImage());

    // disabled: no hook object at all, the CRDs still come from crds/
    List<HasMetadata> off = render("csi-secrets-store", "linux: {crds: {enabled: false}}\n");
    assertTrue(Helm.hooks(off).isEmpty(), "hooks rendered with linux.crds.enabled=false");
    assertEquals(2, all(off, CustomResourceDefinition.class).size());
  }

  /** The hook pod: its service account, pull secrets, the DaemonSet's scheduling, the crds.* metadata. */
  static void assertHookPod(Job job, String serviceAccount) {
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    String what = job.getMetadata().getName();
    assertEquals(serviceAccount, pod.getServiceAccountName(), what);
    assertEquals("Never", pod.getRestartPolicy(), what);
    assertEquals("regcred", pod.getImagePullSecrets().get(0).getName(), what);
    assertEquals(Map.of("kubernetes.io/os", "linux", "pool", "system"), pod.getNodeSelector(), what);
    List<Toleration> tolerations = pod.getTolerations();
    assertEquals(1, tolerations.size(), what);
    assertEquals("dedicated", tolerations.get(0).getKey(), what);
    assertEquals("false", job.getSpec().getTemplate().getMetadata().getAnnotations().get("sidecar.istio.io/inject"), what);
    assertEquals(Map.of("team", "platform"), job.getSpec().getTemplate().getMetadata().getLabels(), what);
    for (Container c : pod.getContainers()) {
      assertNotEquals(Boolean.TRUE, c.getSecurityContext().getPrivileged(), what);
      assertEquals(Boolean.FALSE, c.getSecurityContext().getAllowPrivilegeEscalation(), what);
    }
  }

  /** A hook's service account, ClusterRole (CRDs only, the given verbs) and binding, in the same hook phase. */
  static void assertHookRbac(List<HasMetadata> hooks, String name, String phase, Set<String> verbs) {
    ServiceAccount sa = named(hooks, ServiceAccount.class, name);
    ClusterRole role = named(hooks, ClusterRole.class, name);
    ClusterRoleBinding binding = named(hooks, ClusterRoleBinding.class, name);
    assertEquals(Map.of("apiextensions.k8s.io/customresourcedefinitions", verbs), grants(role), name);
    assertEquals(name, binding.getRoleRef().getName());
    assertEquals(name, binding.getSubjects().get(0).getName());
    assertEquals("kube-system", binding.getSubjects().get(0).getNamespace());
    for (HasMetadata r : List.of(sa, role, binding)) {
      assertEquals(phase, r.getMetadata().getAnnotations().get("helm.sh/hook"), r.getKind() + " " + name);
    }
  }

  static Container jobContainer(Job job, String name) {
    List<Container> containers = job.getSpec().getTemplate().getSpec().getContainers();
    assertEquals(1, containers.size());
    assertEquals(name, containers.get(0).getName());
    return containers.get(0);
  }

  /**
   * A mirror of upstream's driver image cannot run this chart's arguments, so the chart refuses to
   * render it instead of rolling out a driver that cannot start. Upstream's default repository is
   * replaced instead ({@link UpstreamValuesImageTest}).
   */
  @Test
  void aCopyOfUpstreamsDriverImageIsRefusedWithAClearMessage() throws Exception {
    String values = "linux: {image: {repository: mirror.example/csi-secrets-store/driver, tag: v1.6.0}}\n";
    Helm.Result r = Helm.templateRaw(tmp, "csi-secrets-store", values, "1.34.0", Map.of());
    assertNotEquals(0, r.exit());
    assertTrue(r.stderr().contains("upstream's Go driver image"), r.stderr());
    assertTrue(r.stderr().contains("linux.image.repository"), r.stderr());
    // the same values file with the image overridden on the command line renders
    DaemonSet ds = only(Helm.template(tmp, "csi-secrets-store", values, "1.34.0",
        Map.of("linux.image.repository", "registry.example/sscsi/driver", "linux.image.tag", "0.1.0")), DaemonSet.class);
    assertEquals("registry.example/sscsi/driver:0.1.0", container(ds, "secrets-store").getImage());
  }
}
