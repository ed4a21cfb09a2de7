package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import io.sscsi.k8s.model.SecretProviderClassPodStatusStatus;
import io.sscsi.k8s.model.SecretProviderClassPodStatusStatus.ObjectVersion;
import io.sscsi.status.PodStatus;
import io.sscsi.status.PodStatusStore.RefreshWrite;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubePodStatusStoreTest {

  static final String NODE_LABEL = "internal.secrets-store.csi.k8s.io/node-name";
  static final String TARGET =
      "/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~csi/secrets/mount";

  KubernetesMockServer server;
  KubernetesClient client;

  private KubePodStatusStore store;

  @BeforeEach
  void setUp() {
    store = new KubePodStatusStore(client);
  }

  private static PodStatus status(String node, Map<String, String> versions) {
    return new PodStatus("web-0", "app", "uid-1", "vault-db", node, TARGET, versions);
  }

  private SecretProviderClassPodStatus fetch(String name) {
    return client.resources(SecretProviderClassPodStatus.class).inNamespace("app").withName(name).get();
  }

  /** Issue 19 item 6: a refresh never creates the object again for a pod that is gone. */
  @Test
  void aRefreshCreatesTheObjectAgainOnlyForALivePod() {
    String uid = pod("uid-1");
    store.upsert(statusOf(uid, "1"));
    client.resources(SecretProviderClassPodStatus.class).inNamespace("app").withName("web-0-app-vault-db").delete();

    assertEquals(RefreshWrite.WRITTEN, store.upsertForRefresh(statusOf(uid, "2")), "the pod exists: created again");
    assertNotNull(fetch("web-0-app-vault-db"));

    client.pods().inNamespace("app").withName("web-0").delete(); // force-deleted; GC takes its status object
    client.resources(SecretProviderClassPodStatus.class).inNamespace("app").withName("web-0-app-vault-db").delete();
    assertEquals(RefreshWrite.POD_GONE, store.upsertForRefresh(statusOf(uid, "3")));
    assertNull(fetch("web-0-app-vault-db"), "not created again");

    String other = pod("uid-other"); // a new pod of the same name (a StatefulSet's): not the volume's pod
    assertNotEquals(uid, other);
    assertEquals(RefreshWrite.POD_GONE, store.upsertForRefresh(statusOf(uid, "4")));
    assertNull(fetch("web-0-app-vault-db"));
  }

  /** Creates pod app/web-0; returns the uid the mock gave it. */
  private String pod(String uid) {
    return client.pods().inNamespace("app").resource(new PodBuilder()
        .withNewMetadata().withName("web-0").withNamespace("app").withUid(uid).endMetadata().build())
        .create().getMetadata().getUid();
  }

  private static PodStatus statusOf(String podUid, String version) {
    return new PodStatus("web-0", "app", podUid, "vault-db", "node-1", TARGET, Map.of("a", version));
  }

  @Test
  void upsertCreatesTheStatusObject() {
    store.upsert(status("node-1", Map.of("zeta", "3", "alpha", "1", "mid", "2")));

    SecretProviderClassPodStatus got = fetch("web-0-app-vault-db");
    assertNotNull(got);
    assertEquals("app", got.getMetadata().getNamespace());
    assertEquals(Map.of(NODE_LABEL, "node-1"), got.getMetadata().getLabels());
    List<OwnerReference> owners = got.getMetadata().getOwnerReferences();
    assertEquals(1, owners.size());
    OwnerReference owner = owners.get(0);
    assertEquals("v1", owner.getApiVersion());
    assertEquals("Pod", owner.getKind());
    assertEquals("web-0", owner.getName());
    assertEquals("uid-1", owner.getUid());
    assertNull(owner.getController());
    assertNull(owner.getBlockOwnerDeletion());
    assertEquals(
        new SecretProviderClassPodStatusStatus(
            "web-0",
            "vault-db",
            true,
            TARGET,
            List.of(
                new ObjectVersion("alpha", "1"),
                new ObjectVersion("mid", "2"),
                new ObjectVersion("zeta", "3"))),
        got.getStatus());
  }

  @Test
  void upsertTwiceUpdatesVersions() {
    store.upsert(status("node-1", Map.of("a", "1", "b", "1")));
    String rv1 = fetch("web-0-app-vault-db").getMetadata().getResourceVersion();

    store.upsert(status("node-1", Map.of("a", "2", "b", "1")));

    SecretProviderClassPodStatus got = fetch("web-0-app-vault-db");
    assertNotEquals(rv1, got.getMetadata().getResourceVersion());
    assertEquals(
        List.of(new ObjectVersion("a", "2"), new ObjectVersion("b", "1")),
        got.getStatus().objects());
    assertEquals(1, got.getMetadata().getOwnerReferences().size());
    assertEquals(
        1, client.resources(SecretProviderClassPodStatus.class).inNamespace("app").list().getItems().size());
  }

  @Test
  void existingObjectFromAnotherNodeIsRelabelledAndOwnedByTheNewPod() {
    SecretProviderClassPodStatus old = new SecretProviderClassPodStatus();
    old.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace("app")
            .withName("web-0-app-vault-db")
            .withLabels(Map.of(NODE_LABEL, "node-old", "keep", "me"))
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion("v1")
                    .withKind("Pod")
                    .withName("web-0")
                    .withUid("uid-old")
                    .withController(true)
                    .build())
            .build());
    old.setStatus(
        new SecretProviderClassPodStatusStatus(
            "web-0", "vault-db", true, "/old/path", List.of(new ObjectVersion("a", "0"))));
    client.resources(SecretProviderClassPodStatus.class).inNamespace("app").resource(old).create();

    store.upsert(status("node-new", Map.of("a", "5")));

    SecretProviderClassPodStatus got = fetch("web-0-app-vault-db");
    assertEquals(Map.of(NODE_LABEL, "node-new", "keep", "me"), got.getMetadata().getLabels());
    assertEquals(1, got.getMetadata().getOwnerReferences().size());
    assertEquals("uid-1", got.getMetadata().getOwnerReferences().get(0).getUid());
    assertNull(got.getMetadata().getOwnerReferences().get(0).getController());
    assertEquals(TARGET, got.getStatus().targetPath());
    assertEquals(List.of(new ObjectVersion("a", "5")), got.getStatus().objects());
    // Label selectors (how a node finds its own objects) see the move.
    assertEquals(
        1,
        client.resources(SecretProviderClassPodStatus.class)
            .inAnyNamespace()
            .withLabel(NODE_LABEL, "node-new")
            .list()
            .getItems()
            .size());
  }

  /** The status-object requests the server saw since the last call, as "METHOD name-or-collection". */
  private List<String> requests() throws InterruptedException {
    List<String> out = new java.util.ArrayList<>();
    io.fabric8.mockwebserver.http.RecordedRequest r;
    while ((r = server.takeRequest(20, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
      String path = r.getPath().replaceAll("\\?.*", "");
      if (path.contains("/secretproviderclasspodstatuses")) {
        out.add(r.getMethod() + " " + path.substring(path.lastIndexOf('/') + 1));
      }
    }
    return out;
  }

  @Test
  void aRefreshIsOneUpdateLockedToWhatTheCreateAnsweredAndTheUidIsKnown() throws Exception {
    requests();
    store.upsert(status("node-1", Map.of("a", "1")));
    assertEquals(List.of("POST secretproviderclasspodstatuses"), requests());
    String uid = fetch("web-0-app-vault-db").getMetadata().getUid();
    requests();

    assertEquals(java.util.Optional.of(uid), store.uid("app", "web-0-app-vault-db"));
    store.upsert(status("node-1", Map.of("a", "2")));
    store.upsert(status("node-1", Map.of("a", "3")));
    assertEquals(List.of("PUT web-0-app-vault-db", "PUT web-0-app-vault-db"), requests(),
        "no create answered 409, no read: each update carries the resourceVersion the last one answered");
    assertEquals(List.of(new ObjectVersion("a", "3")), fetch("web-0-app-vault-db").getStatus().objects());
  }

  @Test
  void aChangeBySomeoneElseIsReadOnConflictAndKept() throws Exception {
    store.upsert(status("node-1", Map.of("a", "1")));
    client.resources(SecretProviderClassPodStatus.class).inNamespace("app").withName("web-0-app-vault-db")
        .edit(o -> {
          o.getMetadata().setLabels(Map.of(NODE_LABEL, "node-1", "audit", "seen"));
          return o;
        });
    requests();

    store.upsert(status("node-1", Map.of("a", "2")));
    assertEquals(List.of("PUT web-0-app-vault-db", "GET web-0-app-vault-db", "PUT web-0-app-vault-db"), requests());
    SecretProviderClassPodStatus got = fetch("web-0-app-vault-db");
    assertEquals("seen", got.getMetadata().getLabels().get("audit"));
    assertEquals(List.of(new ObjectVersion("a", "2")), got.getStatus().objects());
  }

  @Test
  void anObjectDeletedBehindItsBackIsCreatedAgain() throws Exception {
    store.upsert(status("node-1", Map.of("a", "1")));
    client.resources(SecretProviderClassPodStatus.class).inNamespace("app").withName("web-0-app-vault-db").delete();
    requests();

    store.upsert(status("node-1", Map.of("a", "2")));
    assertEquals(List.of("PUT web-0-app-vault-db", "POST secretproviderclasspodstatuses"), requests());
    assertEquals(List.of(new ObjectVersion("a", "2")), fetch("web-0-app-vault-db").getStatus().objects());
  }

  @Test
  void objectsListedAtRestartAreKnownSoTheirFirstUpdateNeedsNoRead() throws Exception {
    new KubePodStatusStore(client).upsert(status("node-1", Map.of("a", "1")));
    requests();

    assertEquals(1, store.listForNode("node-1").size());
    store.upsert(status("node-1", Map.of("a", "2")));
    assertEquals(List.of("GET secretproviderclasspodstatuses", "PUT web-0-app-vault-db"), requests(),
        "one list, then the update");
  }

  @Test
  void deleteTwiceIsFine() {
    store.upsert(status("node-1", Map.of("a", "1")));

    store.delete("app", "web-0-app-vault-db");
    assertNull(fetch("web-0-app-vault-db"));
    assertDoesNotThrow(() -> store.delete("app", "web-0-app-vault-db"));
  }
}
