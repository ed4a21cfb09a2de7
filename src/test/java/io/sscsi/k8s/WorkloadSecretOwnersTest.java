package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.sscsi.status.PodStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Upstream's default owners ({@link SecretOwnerPolicy#WORKLOAD}) against the mock API server in CRUD
 * mode, with real pods and SecretProviderClassPodStatus objects written through the status store as a
 * publish writes them. The mock has no garbage collector, so what is asserted is the owner list
 * written and the requests made: upstream v1.6.0's patcher
 * ({@code controllers/secretproviderclasspodstatus_controller.go}, {@code Patcher},
 * {@code patchSecretWithOwnerRef}) gives the Secret the pod's owners (the SecretProviderClassPodStatus
 * for a pod without), one reference per owner name, and never takes one off nor deletes the Secret.
 */
@EnableKubernetesMockClient(crud = true)
class WorkloadSecretOwnersTest {

  static KubernetesMockServer server;
  static KubernetesClient client;
  private static int tests;

  private String ns;
  private KubePodStatusStore statuses;
  private KubeSecretWriter writer;
  private Optional<KnownSecret> known = Optional.empty();

  @BeforeEach
  void setUp() throws Exception {
    ns = "w" + (++tests);
    KubeConnection connection = KubeTestConnections.of(client);
    statuses = new KubePodStatusStore(connection);
    writer = new KubeSecretWriter(connection, statuses);
    requests();
  }

  private static OwnerReference owner(String apiVersion, String kind, String name, String uid) {
    return new OwnerReferenceBuilder().withApiVersion(apiVersion).withKind(kind).withName(name).withUid(uid)
        .withController(true).withBlockOwnerDeletion(true).build();
  }

  private static OwnerReference replicaSet(String name, String uid) {
    return owner("apps/v1", "ReplicaSet", name, uid);
  }

  /** A pod owned by {@code owners}, and its status object as a publish writes it; the owner sync names. */
  private SecretOwner mountingPod(String name, OwnerReference... owners) {
    Pod pod = client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName(name)
        .withNamespace(ns).withOwnerReferences(owners).endMetadata().build()).create();
    PodStatus status = new PodStatus(name, ns, pod.getMetadata().getUid(), "app", "node-1",
        "/var/lib/kubelet/pods/" + pod.getMetadata().getUid() + "/volumes/kubernetes.io~csi/v/mount", Map.of());
    statuses.upsert(status);
    return new SecretOwner(status.objectName(), statuses.uid(ns, status.objectName()).orElseThrow());
  }

  private DesiredSecret desired(String password) {
    return new DesiredSecret(ns, "db", "Opaque", Map.of("password", password.getBytes(StandardCharsets.UTF_8)),
        Map.of(SecretProjection.MANAGED_LABEL, "true"), Map.of());
  }

  private KubeSecretWriter.Outcome sync(String password, Set<SecretOwner> owners, Set<SecretOwner> gone) {
    KubeSecretWriter.Synced synced = writer.sync(new SecretWrite(ns, "db",
        password == null ? Optional.empty() : Optional.of(desired(password)), owners, gone, false), known);
    known = synced.known();
    return synced.outcome();
  }

  private Secret fetch() {
    return client.secrets().inNamespace(ns).withName("db").get();
  }

  /** The owners on the server as {@code kind/name/uid}, no controller nor blockOwnerDeletion set. */
  private List<String> owners() {
    Secret s = fetch();
    assertNotNull(s, "the Secret exists");
    return s.getMetadata().getOwnerReferences().stream().map(r -> {
      assertNull(r.getController(), "no controller, as upstream");
      assertNull(r.getBlockOwnerDeletion(), "no blockOwnerDeletion, as upstream");
      return r.getApiVersion() + " " + r.getKind() + "/" + r.getName() + "/" + r.getUid();
    }).toList();
  }

  /** The requests the server saw since the last call, as "METHOD path". */
  private List<String> requests() throws InterruptedException {
    List<String> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
      out.add(r.getMethod() + " " + r.getPath());
    }
    return out;
  }

  @Test
  void aReplicaSetsPodsGiveTheSecretTheReplicaSetOnceAndItOutlivesThem() throws Exception {
    SecretOwner a = mountingPod("web-7d-a", replicaSet("web-7d", "uid-rs"));
    assertEquals(KubeSecretWriter.Outcome.CREATED, sync("v1", Set.of(a), Set.of()));
    assertEquals(List.of("apps/v1 ReplicaSet/web-7d/uid-rs"), owners());

    SecretOwner b = mountingPod("web-7d-b", replicaSet("web-7d", "uid-rs"));
    requests();
    assertEquals(KubeSecretWriter.Outcome.UNCHANGED, sync("v1", Set.of(a, b), Set.of()));
    assertEquals(List.of("GET /api/v1/namespaces/" + ns + "/pods/web-7d-b"), requests(),
        "the second pod's owner is read; the ReplicaSet is listed already, so nothing is written");

    // Both pods unpublish (scale to zero): nothing is taken off, nothing deleted, no request at all.
    assertEquals(KubeSecretWriter.Outcome.UNCHANGED, sync(null, Set.of(), Set.of(a, b)));
    assertEquals(List.of(), requests());
    assertEquals(List.of("apps/v1 ReplicaSet/web-7d/uid-rs"), owners(), "the Secret lives as long as the ReplicaSet");
  }

  @Test
  void aPodWithoutOwnersGivesItsStatusObjectAndPodsOfOtherWorkloadsAreAdded() {
    SecretOwner bare = mountingPod("debug");
    assertEquals(KubeSecretWriter.Outcome.CREATED, sync("v1", Set.of(bare), Set.of()));
    assertEquals(List.of(SecretOwner.API_VERSION + " " + SecretOwner.KIND + "/debug-" + ns + "-app/" + bare.uid()),
        owners());

    SecretOwner db = mountingPod("db-0", owner("apps/v1", "StatefulSet", "db", "uid-sts"));
    SecretOwner job = mountingPod("migrate-x", owner("batch/v1", "Job", "migrate", "uid-job"));
    assertEquals(KubeSecretWriter.Outcome.PATCHED, sync("v2", Set.of(bare, db, job), Set.of()));
    assertEquals(List.of(SecretOwner.API_VERSION + " " + SecretOwner.KIND + "/debug-" + ns + "-app/" + bare.uid(),
        "apps/v1 StatefulSet/db/uid-sts", "batch/v1 Job/migrate/uid-job"), owners());
  }

  @Test
  void ownersOnTheServerAreKeptAndAnEarlierObjectOfTheSameNameIsReplaced() {
    SecretOwner old = mountingPod("db-0", owner("apps/v1", "StatefulSet", "db", "uid-sts-old"));
    sync("v1", Set.of(old), Set.of());
    // The StatefulSet is deleted and created again (new uid) and its pod mounts again; another
    // node's pod of another ReplicaSet owns the Secret too.
    client.pods().inNamespace(ns).withName("db-0").delete();
    client.secrets().inNamespace(ns).withName("db").edit(s -> {
      s.getMetadata().getOwnerReferences().add(new OwnerReferenceBuilder().withApiVersion("apps/v1")
          .withKind("ReplicaSet").withName("api-5c").withUid("uid-other-node").build());
      return s;
    });
    known = Optional.empty();
    statuses.delete(ns, "db-0-" + ns + "-app");
    SecretOwner again = mountingPod("db-0", owner("apps/v1", "StatefulSet", "db", "uid-sts-new"));
    assertEquals(KubeSecretWriter.Outcome.PATCHED, sync("v1", Set.of(again), Set.of(old)));
    assertEquals(List.of("apps/v1 StatefulSet/db/uid-sts-new", "apps/v1 ReplicaSet/api-5c/uid-other-node"), owners());
  }

  @Test
  void aPodThatIsGoneAddsNoOwnerAndCreatesNothing() throws Exception {
    SecretOwner a = mountingPod("web-7d-a", replicaSet("web-7d", "uid-rs"));
    client.pods().inNamespace(ns).withName("web-7d-a").delete();
    requests();
    assertEquals(KubeSecretWriter.Outcome.ABSENT, sync("v1", Set.of(a), Set.of()));
    assertNull(fetch());
    assertEquals(List.of("GET /api/v1/namespaces/" + ns + "/pods/web-7d-a"),
        requests().stream().filter(r -> !r.contains("/secrets/db")).toList());
  }

  @Test
  void thePodIsReadOnceNotOnEveryRefresh() throws Exception {
    SecretOwner a = mountingPod("web-7d-a", replicaSet("web-7d", "uid-rs"));
    sync("v1", Set.of(a), Set.of());
    requests();
    assertEquals(KubeSecretWriter.Outcome.PATCHED, sync("v2", Set.of(a), Set.of()));
    assertEquals(List.of("PATCH /api/v1/namespaces/" + ns + "/secrets/db"), requests());
  }

  @Test
  void theOptInPodStatusPolicyStillOwnsByStatusObjectAndDeletesWithTheLastPod() throws Exception {
    writer = new KubeSecretWriter(KubeTestConnections.of(client), statuses, SecretOwnerPolicy.POD_STATUS);
    SecretOwner a = mountingPod("web-7d-a", replicaSet("web-7d", "uid-rs"));
    sync("v1", Set.of(a), Set.of());
    assertEquals(List.of(SecretOwner.API_VERSION + " " + SecretOwner.KIND + "/web-7d-a-" + ns + "-app/" + a.uid()),
        owners());
    requests();
    assertEquals(KubeSecretWriter.Outcome.DELETED, sync(null, Set.of(), Set.of(a)));
    assertEquals(List.of("DELETE /api/v1/namespaces/" + ns + "/secrets/db"), requests());
  }
}
