package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Secret writer against the mock API server in CRUD mode. API writes are counted from the
 * server's request log. (The mock has no garbage collector: owner-reference semantics are checked
 * on the objects, deletions in the log.) Under the opt-in {@link SecretOwnerPolicy#POD_STATUS}:
 * {@link WorkloadSecretOwnersTest} has upstream's default.
 */
@EnableKubernetesMockClient(crud = true)
class KubeSecretWriterTest {

  static KubernetesMockServer server;
  static KubernetesClient client;
  private static int tests;

  private String ns;
  private String secretPath;

  private KubeSecretWriter writer;
  private Optional<KnownSecret> known = Optional.empty();
  private SecretOwner podA;
  private SecretOwner podB;

  @BeforeEach
  void setUp() throws Exception {
    ns = "t" + (++tests);
    secretPath = "/api/v1/namespaces/" + ns + "/secrets";
    writer = new KubeSecretWriter(KubeTestConnections.of(client), SecretOwnerPolicy.POD_STATUS);
    podA = new SecretOwner("web-a-app-db", podStatus("web-a-app-db"));
    podB = new SecretOwner("web-b-app-db", podStatus("web-b-app-db"));
    requests();
  }

  private String podStatus(String name) {
    SecretProviderClassPodStatus s = new SecretProviderClassPodStatus();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(ns);
    SecretProviderClassPodStatus created =
        client.resources(SecretProviderClassPodStatus.class).inNamespace(ns).resource(s).create();
    assertNotNull(created.getMetadata().getUid());
    return created.getMetadata().getUid();
  }

  /** The requests for Secrets the server saw since the last call, as "METHOD path". */
  private List<String> requests() throws InterruptedException {
    List<String> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
      if (r.getPath().startsWith(secretPath)) {
        out.add(r.getMethod() + " " + r.getPath());
      }
    }
    return out;
  }

  private static List<String> writes(List<String> requests) {
    return requests.stream().filter(r -> !r.startsWith("GET ")).toList();
  }

  private DesiredSecret desired(String password) {
    return new DesiredSecret(ns, "db", "Opaque", Map.of("password", password.getBytes(StandardCharsets.UTF_8)),
        Map.of(SecretProjection.MANAGED_LABEL, "true", "team", "db"), Map.of("note", "x"));
  }

  /** Syncs as the sync actor does: each write planned on what the previous one answered. */
  private KubeSecretWriter.Outcome sync(String password, Set<SecretOwner> owners, Set<SecretOwner> gone) {
    KubeSecretWriter.Synced synced = writer.sync(new SecretWrite(ns, "db",
        password == null ? Optional.empty() : Optional.of(desired(password)), owners, gone, false), known);
    known = synced.known();
    return synced.outcome();
  }

  private Secret fetch() {
    return client.secrets().inNamespace(ns).withName("db").get();
  }

  private static List<String> ownerUids(Secret s) {
    return s.getMetadata().getOwnerReferences().stream().map(OwnerReference::getUid).toList();
  }

  private static byte[] value(Secret s, String key) {
    return Base64.getDecoder().decode(s.getData().get(key));
  }

  @Test
  void readsTheOwnersUidFromItsPodStatus() {
    assertEquals(Optional.of(podA.uid()), writer.podStatusUid(ns, podA.name()));
    assertEquals(Optional.empty(), writer.podStatusUid(ns, "not-there"));
  }

  @Test
  void createsTheSecretOnceAndThenWritesNothingWhileNothingChanges() throws Exception {
    assertEquals(KubeSecretWriter.Outcome.CREATED, sync("v1", Set.of(podA), Set.of()));
    List<String> first = requests();
    assertEquals(List.of("POST " + secretPath), first, "a new Secret is created without a read");

    Secret s = fetch();
    assertEquals("Opaque", s.getType());
    assertArrayEquals("v1".getBytes(StandardCharsets.UTF_8), value(s, "password"));
    assertEquals("true", s.getMetadata().getLabels().get(SecretProjection.MANAGED_LABEL));
    assertEquals("x", s.getMetadata().getAnnotations().get("note"));
    assertEquals(List.of(podA.uid()), ownerUids(s));
    requests();

    for (int i = 0; i < 3; i++) {
      assertEquals(KubeSecretWriter.Outcome.UNCHANGED, sync("v1", Set.of(podA), Set.of()));
    }
    assertEquals(List.of(), requests(), "nothing to change and the Secret is known: no request at all");
  }

  @Test
  void sendsBase64DataNeverStringData() {
    sync("v1", Set.of(podA), Set.of());
    sync("v2", Set.of(podA), Set.of());
    // the mock stores what it is sent (it does not convert stringData), so this sees the wire
    Secret s = fetch();
    assertTrue(s.getStringData() == null || s.getStringData().isEmpty());
    assertEquals(Base64.getEncoder().encodeToString("v2".getBytes(StandardCharsets.UTF_8)), s.getData().get("password"));
  }

  @Test
  void rotationIsOnePatchWithoutARead() throws Exception {
    sync("v1", Set.of(podA), Set.of());
    requests();

    assertEquals(KubeSecretWriter.Outcome.PATCHED, sync("v2", Set.of(podA), Set.of()));
    assertEquals(List.of("PATCH " + secretPath + "/db"), requests());
    assertArrayEquals("v2".getBytes(StandardCharsets.UTF_8), value(fetch(), "password"));
  }

  @Test
  void aChangeBySomeoneElseIsReadOnConflictAndItsLabelsAndOwnersKept() throws Exception {
    sync("v1", Set.of(podA), Set.of());
    client.secrets().inNamespace(ns).withName("db")
        .edit(s -> new SecretBuilder(s).editMetadata().addToLabels("argocd", "tracked").endMetadata().build());
    requests();

    assertEquals(KubeSecretWriter.Outcome.PATCHED, sync("v2", Set.of(podA), Set.of()));
    assertEquals(List.of("PATCH " + secretPath + "/db", "GET " + secretPath + "/db", "PATCH " + secretPath + "/db"),
        requests(), "the patch locked to the known resourceVersion is refused (409), then read and planned again");
    Secret s = fetch();
    assertArrayEquals("v2".getBytes(StandardCharsets.UTF_8), value(s, "password"));
    assertEquals("tracked", s.getMetadata().getLabels().get("argocd"));
    assertEquals(List.of(podA.uid()), ownerUids(s));

    assertEquals(KubeSecretWriter.Outcome.UNCHANGED, sync("v2", Set.of(podA), Set.of()));
    assertEquals(List.of(), writes(requests()));
  }

  @Test
  void twoPodsTwoOwnersOneLeavesTheOtherStays() throws Exception {
    sync("v1", Set.of(podA), Set.of());
    assertEquals(KubeSecretWriter.Outcome.PATCHED, sync("v1", Set.of(podA, podB), Set.of()));
    assertEquals(List.of(podA.uid(), podB.uid()), ownerUids(fetch()));

    assertEquals(KubeSecretWriter.Outcome.PATCHED, sync(null, Set.of(podB), Set.of(podA)));
    assertEquals(List.of(podB.uid()), ownerUids(fetch()));
    assertFalse(requests().stream().anyMatch(r -> r.startsWith("DELETE")));

    assertEquals(KubeSecretWriter.Outcome.DELETED, sync(null, Set.of(), Set.of(podB)));
    assertNull(fetch());
    assertEquals(List.of("DELETE " + secretPath + "/db"), writes(requests()));
  }

  @Test
  void anOwnerFromAnotherNodeIsNeverDropped() {
    sync("v1", Set.of(podA), Set.of());
    // another node's driver adds its pod
    writer.sync(new SecretWrite(ns, "db", Optional.empty(), Set.of(podB), Set.of(), false));
    // This node only knows pod A, which then leaves. What it knows of the Secret is stale: on a real
    // API server the delete it plans, locked to that resourceVersion, is refused with 409 and the
    // Secret read (KubeApiConflictTest shows that); CRUD mode ignores delete preconditions, so here
    // the writer starts from a read, as it does after that 409.
    known = Optional.empty();
    assertEquals(KubeSecretWriter.Outcome.PATCHED, sync(null, Set.of(), Set.of(podA)));
    assertEquals(List.of(podB.uid()), ownerUids(fetch()));
  }

  @Test
  void rollingUpdateNewPodIsAddedBeforeTheOldOneGoesSoTheSecretStays() throws Exception {
    sync("v1", Set.of(podA), Set.of());
    sync("v1", Set.of(podA, podB), Set.of());
    assertEquals(List.of(podA.uid(), podB.uid()), ownerUids(fetch()));
    sync(null, Set.of(podB), Set.of(podA));
    Secret s = fetch();
    assertNotNull(s);
    assertEquals(List.of(podB.uid()), ownerUids(s));
    List<String> log = requests();
    assertFalse(log.stream().anyMatch(r -> r.startsWith("DELETE")), log.toString());
  }

  @Test
  void theLastOwnerIsKeptWhileAMountingPodsOwnerIsUnknown() throws Exception {
    sync("v1", Set.of(podA), Set.of());
    requests();
    KubeSecretWriter.Outcome out = writer.sync(
        new SecretWrite(ns, "db", Optional.of(desired("v1")), Set.of(), Set.of(podA), true));
    assertEquals(KubeSecretWriter.Outcome.UNCHANGED, out);
    assertEquals(List.of(podA.uid()), ownerUids(fetch()));
    assertEquals(List.of(), writes(requests()));
  }

  @Test
  void aSecretNotManagedByTheDriverIsLeftAlone() throws Exception {
    client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("db")
        .withNamespace(ns).endMetadata().withType("Opaque")
        .addToData("password", Base64.getEncoder().encodeToString("mine".getBytes(StandardCharsets.UTF_8)))
        .build()).create();
    requests();
    DriverException e = assertThrows(DriverException.class, () -> sync("v1", Set.of(podA), Set.of()));
    assertEquals(FailureKind.SPC_INVALID, e.kind());
    assertTrue(e.getMessage().contains("not managed by the driver"), e.getMessage());
    assertEquals(KubeSecretWriter.Outcome.NOT_MANAGED, sync(null, Set.of(), Set.of(podA)));
    assertEquals(List.of("POST " + secretPath), writes(requests()), "only the create, answered AlreadyExists");
    assertArrayEquals("mine".getBytes(StandardCharsets.UTF_8), value(fetch(), "password"));
  }

  @Test
  void noSecretIsCreatedWithoutContentOrOwner() throws Exception {
    assertEquals(KubeSecretWriter.Outcome.ABSENT, sync(null, Set.of(podA), Set.of()));
    assertEquals(KubeSecretWriter.Outcome.ABSENT, sync("v1", Set.of(), Set.of()));
    assertEquals(List.of(), writes(requests()));
    assertNull(fetch());
  }
}
