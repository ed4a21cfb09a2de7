package io.sscsi.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.sscsi.Guardian;
import io.sscsi.fs.AtomicWriter;
import io.sscsi.fs.MountedFiles;
import io.sscsi.fs.PayloadFile;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubeEventRecorder;
import io.sscsi.k8s.KubeSecretWriter;
import io.sscsi.k8s.SecretOwnerPolicy;
import io.sscsi.k8s.KubeTestConnections;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClass.DataItem;
import io.sscsi.spc.ProviderClass.SecretObject;
import io.sscsi.sync.SecretSync;
import io.sscsi.pods.PodRef;
import io.sscsi.retry.Backoff;
import io.sscsi.testkit.LogCapture;
import io.sscsi.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's sync actor with real parts: the mock API server in CRUD mode, real files written by
 * the AtomicWriter into a temp dir as a publish leaves them, the blocking dispatcher. API writes
 * are counted from the server's request log. Owners under the opt-in
 * {@link SecretOwnerPolicy#POD_STATUS} (taken off on unpublish, the Secret deleted with the last pod).
 */
@ExtendWith(TestKitJUnit5Extension.class)
@EnableKubernetesMockClient(crud = true)
class SecretSyncActorTest {
  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  static KubernetesMockServer server;
  static KubernetesClient client;
  private static int tests;

  @TempDir Path dir;

  static final String PASSWORD_V1 = "pw-v1-SECRET-4d2c";
  static final String PASSWORD_V2 = "pw-v2-SECRET-77ab";

  private String ns;
  private ActorRef<SecretSyncActor.Command> actor;
  private SecretSync sync;
  private ProviderClass spc;

  @BeforeEach
  void setUp() throws Exception {
    ns = "sync" + (++tests);
    Executor blocking = testKit.system().dispatchers().lookup(DispatcherSelector.fromConfig(Guardian.BLOCKING_DISPATCHER));
    KubeConnection connection = KubeTestConnections.of(client);
    SyncWork work = new SyncWork(new KubeSecretWriter(connection, SecretOwnerPolicy.POD_STATUS), new KubeEventRecorder(connection, "node-1"),
        new MountedFiles());
    actor = testKit.spawn(SecretSyncActor.create(work, blocking,
        new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), 2)));
    sync = new ActorSecretSync(actor);
    spc = new ProviderClass(ns, "db-spc", "vault", Map.of("k", "v"), List.of(new SecretObject("db", "Opaque",
        Map.of("team", "db"), Map.of(), List.of(new DataItem("db-password", "password"), new DataItem("db-user", "username")))));
    secretRequests();
  }

  private PodRef pod(String name) {
    return new PodRef(ns, name, "pod-uid-" + name);
  }

  /** Creates the pod's SecretProviderClassPodStatus, as its publish did; returns its uid. */
  private String podStatus(PodRef pod) {
    SecretProviderClassPodStatus s = new SecretProviderClassPodStatus();
    s.getMetadata().setName(pod.podStatusName(spc.name()));
    s.getMetadata().setNamespace(ns);
    return client.resources(SecretProviderClassPodStatus.class).inNamespace(ns).resource(s).create()
        .getMetadata().getUid();
  }

  /** Writes the volume's files as a publish does. */
  private Path mount(PodRef pod, String password) throws Exception {
    Path target = dir.resolve(pod.name());
    Files.createDirectories(target);
    new AtomicWriter().write(target, List.of(
        new PayloadFile("db-password", 0644, password.getBytes(StandardCharsets.UTF_8)),
        new PayloadFile("db-user", 0644, "admin".getBytes(StandardCharsets.UTF_8))));
    return target;
  }

  /** Waits until the Secret's state has no round running and no retry pending (or is forgotten). */
  private SecretSyncActor.SecretStatus settled() {
    return poll(s -> s == null || !s.busy());
  }

  /** Waits until this namespace's Secret's sync state matches {@code condition}. */
  private SecretSyncActor.SecretStatus awaitStatus(java.util.function.Predicate<SecretSyncActor.SecretStatus> condition) {
    return poll(s -> s != null && condition.test(s));
  }

  /** Asks for the Secret's sync state (null while it has none) until {@code done} holds for it. */
  private SecretSyncActor.SecretStatus poll(java.util.function.Predicate<SecretSyncActor.SecretStatus> done) {
    return status(ns + "/db", done);
  }

  /** Asks for the state of Secret {@code key} (null while it has none) until {@code done} holds for it. */
  private SecretSyncActor.SecretStatus status(String key, java.util.function.Predicate<SecretSyncActor.SecretStatus> done) {
    TestProbe<Map<String, SecretSyncActor.SecretStatus>> probe = testKit.createTestProbe();
    return Await.value("Secret " + key + "'s sync state matches", () -> {
      actor.tell(new SecretSyncActor.GetStatus(probe.ref()));
      return probe.receiveMessage().get(key);
    }, done);
  }

  /** Requests on this namespace's Secrets since the last call, as "METHOD path". */
  private List<String> secretRequests() throws InterruptedException {
    List<String> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
      if (r.getPath().startsWith("/api/v1/namespaces/" + ns + "/secrets")) {
        out.add(r.getMethod() + " " + r.getPath());
      }
    }
    return out;
  }

  private static List<String> writes(List<String> requests) {
    return requests.stream().filter(r -> !r.startsWith("GET ")).toList();
  }

  private Secret secret() {
    return client.secrets().inNamespace(ns).withName("db").get();
  }

  private static List<String> ownerUids(Secret s) {
    return s.getMetadata().getOwnerReferences().stream().map(OwnerReference::getUid).toList();
  }

  private static String password(Secret s) {
    return new String(Base64.getDecoder().decode(s.getData().get("password")), StandardCharsets.UTF_8);
  }

  @Test
  void publishCreatesTheSecretOwnedByThePodAndAnUnchangedRefreshWritesNothing() throws Exception {
    PodRef a = pod("web-a");
    String uidA = podStatus(a);
    Path target = mount(a, PASSWORD_V1);

    try (LogCapture logs = LogCapture.open()) {
      sync.published(spc, a, target);
      assertEquals("CREATED", settled().lastOutcome());
      Secret s = secret();
      assertEquals(PASSWORD_V1, password(s));
      assertEquals("admin", new String(Base64.getDecoder().decode(s.getData().get("username")), StandardCharsets.UTF_8));
      assertEquals("Opaque", s.getType());
      assertEquals(Map.of("team", "db", "secrets-store.csi.k8s.io/managed", "true"), s.getMetadata().getLabels());
      assertEquals(List.of(uidA), ownerUids(s));
      OwnerReference owner = s.getMetadata().getOwnerReferences().get(0);
      assertEquals("SecretProviderClassPodStatus", owner.getKind());
      assertEquals("web-a-" + ns + "-db-spc", owner.getName());
      assertEquals(List.of("POST /api/v1/namespaces/" + ns + "/secrets"), writes(secretRequests()));

      sync.published(spc, a, target);
      sync.published(spc, a, target);
      SecretSyncActor.SecretStatus status = settled();
      assertEquals("UNCHANGED", status.lastOutcome());
      assertEquals(List.of(), secretRequests(), "an unchanged refresh makes no request: the Secret is known");
      assertFalse(logs.all().contains(PASSWORD_V1), "secret value in logs");
    }
  }

  @Test
  void rotationUpdatesTheSecretWithOnePatch() throws Exception {
    PodRef a = pod("web-a");
    String uidA = podStatus(a);
    Path target = mount(a, PASSWORD_V1);
    sync.published(spc, a, target);
    settled();
    secretRequests();

    try (LogCapture logs = LogCapture.open()) {
      mount(a, PASSWORD_V2);
      sync.published(spc, a, target);
      assertEquals("PATCHED", settled().lastOutcome());
      assertEquals(List.of("PATCH /api/v1/namespaces/" + ns + "/secrets/db"), writes(secretRequests()));
      assertEquals(PASSWORD_V2, password(secret()));
      assertEquals(List.of(uidA), ownerUids(secret()));
      assertFalse(logs.all().contains(PASSWORD_V2), "secret value in logs");
    }
  }

  @Test
  void everyMountingPodOwnsTheSecretAndTheLastOneTakesItAlong() throws Exception {
    PodRef a = pod("web-a");
    PodRef b = pod("web-b");
    String uidA = podStatus(a);
    String uidB = podStatus(b);
    sync.published(spc, a, mount(a, PASSWORD_V1));
    settled();
    sync.published(spc, b, mount(b, PASSWORD_V1));
    settled();
    assertEquals(List.of(uidA, uidB), ownerUids(secret()));

    sync.unpublished(spc, a);
    settled();
    assertEquals(List.of(uidB), ownerUids(secret()));
    assertFalse(secretRequests().stream().anyMatch(r -> r.startsWith("DELETE")));

    sync.unpublished(spc, b);
    assertNull(settled(), "the Secret is forgotten once nothing is pending");
    assertNull(secret());
    assertEquals(List.of("DELETE /api/v1/namespaces/" + ns + "/secrets/db"), writes(secretRequests()));
  }

  @Test
  void aForgottenSecretIsSyncedAfreshByItsNextPublish() throws Exception {
    PodRef a = pod("web-a");
    String uidA = podStatus(a);
    Path target = mount(a, PASSWORD_V1);
    sync.published(spc, a, target);
    settled();
    sync.unpublished(spc, a);
    assertNull(settled(), "the Secret's child is stopped once nothing is pending");
    assertNull(secret());
    secretRequests();

    sync.published(spc, a, target);
    SecretSyncActor.SecretStatus status = settled();
    assertEquals("CREATED", status.lastOutcome());
    assertEquals(1, status.rounds(), "a fresh child: its own rounds only");
    assertEquals(1, status.pods());
    assertEquals(List.of(uidA), ownerUids(secret()));
    assertEquals(List.of("POST /api/v1/namespaces/" + ns + "/secrets"), writes(secretRequests()));
  }

  @Test
  void rollingUpdateNewPodThenOldPodGoneNeverLosesTheSecret() throws Exception {
    PodRef old = pod("web-old");
    PodRef fresh = pod("web-new");
    podStatus(old);
    String uidNew = podStatus(fresh);
    sync.published(spc, old, mount(old, PASSWORD_V1));
    settled();
    secretRequests();

    sync.published(spc, fresh, mount(fresh, PASSWORD_V1));
    sync.unpublished(spc, old);
    settled();
    List<String> log = secretRequests();
    assertFalse(log.stream().anyMatch(r -> r.startsWith("DELETE")), log.toString());
    assertEquals(List.of(uidNew), ownerUids(secret()));
  }

  @Test
  void theOldOwnerStaysUntilTheNewPodsStatusObjectExists() throws Exception {
    PodRef old = pod("web-old");
    PodRef fresh = pod("web-new");
    String uidOld = podStatus(old);
    sync.published(spc, old, mount(old, PASSWORD_V1));
    long rounds = settled().rounds();

    sync.published(spc, fresh, mount(fresh, PASSWORD_V1)); // its status object is not there yet
    sync.unpublished(spc, old);
    SecretSyncActor.SecretStatus retrying = awaitStatus(st -> st.rounds() >= rounds + 3); // a few retry rounds
    assertEquals(1, retrying.pendingRemovals(), retrying.toString());
    assertNotNull(secret());
    assertEquals(List.of(uidOld), ownerUids(secret()));

    String uidNew = podStatus(fresh);
    SecretSyncActor.SecretStatus status = settled();
    assertEquals(0, status.failures());
    assertEquals(0, status.pendingRemovals());
    assertEquals(List.of(uidNew), ownerUids(secret()));
    assertFalse(secretRequests().stream().anyMatch(r -> r.startsWith("DELETE")));
  }

  @Test
  void aSecretThatCannotBeBuiltIsAWarningEventOnThePod() throws Exception {
    PodRef a = pod("web-a");
    podStatus(a);
    ProviderClass broken = new ProviderClass(ns, "db-spc", "vault", Map.of("k", "v"), List.of(new SecretObject("db",
        "Opaque", Map.of(), Map.of(), List.of(new DataItem("db-password", "password"), new DataItem("missing", "x")))));
    try (LogCapture logs = LogCapture.open()) {
      sync.published(broken, a, mount(a, PASSWORD_V1));
      settled();
      assertNull(secret());
      List<Event> events = client.v1().events().inNamespace(ns).list().getItems();
      assertEquals(1, events.size());
      Event e = events.get(0);
      assertEquals("FailedToCreateSecret", e.getReason());
      assertEquals("Warning", e.getType());
      assertEquals("csi-secrets-store-controller", e.getSource().getComponent());
      assertEquals("node-1", e.getSource().getHost());
      assertEquals("Pod", e.getInvolvedObject().getKind());
      assertEquals("web-a", e.getInvolvedObject().getName());
      assertEquals(a.uid(), e.getInvolvedObject().getUid());
      assertTrue(e.getMessage().contains("file matching objectName \"missing\" not found in the pod"), e.getMessage());
      assertFalse(e.getMessage().contains(PASSWORD_V1));
      assertTrue(logs.all().contains("objectName \"missing\""));
      assertFalse(logs.all().contains(PASSWORD_V1), "secret value in logs");
    }
    // not retried: the next publish tries again
    assertEquals(List.of(), writes(secretRequests()));
  }

  @Test
  void anEntryWithoutAUsableSecretNameIsReportedAndNeverSentToTheApiServer() throws Exception {
    PodRef a = pod("web-a"); // no status object: an owner lookup would be retried forever
    ProviderClass unnamed = new ProviderClass(ns, "db-spc", "vault", Map.of("k", "v"), List.of(new SecretObject(" ",
        "Opaque", Map.of(), Map.of(), List.of(new DataItem("db-password", "password")))));
    sync.published(unnamed, a, mount(a, PASSWORD_V1));
    SecretSyncActor.SecretStatus s = status(ns + "/", st -> st != null && !st.busy());
    assertEquals(0, s.failures());
    List<Event> events = client.v1().events().inNamespace(ns).list().getItems();
    assertEquals(1, events.size());
    assertTrue(events.get(0).getMessage().contains("secretName is empty"), events.get(0).getMessage());
  }

  @Test
  void unpublishOfAMountPublishedBeforeARestartStillTakesItsOwnerOff() throws Exception {
    PodRef a = pod("web-a");
    PodRef b = pod("web-b");
    podStatus(a);
    String uidB = podStatus(b);
    sync.published(spc, a, mount(a, PASSWORD_V1));
    sync.published(spc, b, mount(b, PASSWORD_V1));
    settled();
    testKit.stop(actor);
    // a fresh actor that never saw pod a's publish
    Executor blocking = testKit.system().dispatchers().lookup(DispatcherSelector.fromConfig(Guardian.BLOCKING_DISPATCHER));
    KubeConnection connection = KubeTestConnections.of(client);
    actor = testKit.spawn(SecretSyncActor.create(new SyncWork(new KubeSecretWriter(connection, SecretOwnerPolicy.POD_STATUS),
        new KubeEventRecorder(connection, "node-1"), new MountedFiles()), blocking,
        new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), 2)));
    sync = new ActorSecretSync(actor);

    sync.unpublished(spc, a);
    settled();
    assertEquals(List.of(uidB), ownerUids(secret()));
  }
}
