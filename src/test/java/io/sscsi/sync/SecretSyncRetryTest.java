package io.sscsi.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
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
import io.sscsi.k8s.KubeTestConnections;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClass.DataItem;
import io.sscsi.spc.ProviderClass.SecretObject;
import io.sscsi.pods.PodRef;
import io.sscsi.retry.Backoff;
import io.sscsi.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * API failures during sync, with the mock server in expectation mode: a 500 on the create is retried with
 * backoff until the Secret is written, a 403 is reported on the pod with the RBAC hint. The driver's
 * client does no retries of its own here, so every retry seen is the actor's.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@EnableKubernetesMockClient
class SecretSyncRetryTest {
  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;

  static final String SPCPS = "/apis/secrets-store.csi.x-k8s.io/v1/namespaces/app/secretproviderclasspodstatuses/web-a-app-db-spc";
  static final String SECRETS = "/api/v1/namespaces/app/secrets";
  static final String EVENTS = "/api/v1/namespaces/app/events";

  private KubernetesClient noRetries;
  private ActorRef<SecretSyncActor.Command> actor;
  private final ProviderClass spc = new ProviderClass("app", "db-spc", "vault", Map.of("k", "v"),
      List.of(new SecretObject("db", "Opaque", Map.of(), Map.of(), List.of(new DataItem("db-password", "password")))));
  private final PodRef pod = new PodRef("app", "web-a", "pod-uid-a");

  @BeforeEach
  void setUp() throws Exception {
    noRetries = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(client.getConfiguration()).withRequestRetryBackoffLimit(0).build()).build();
    Executor blocking = testKit.system().dispatchers().lookup(DispatcherSelector.fromConfig(Guardian.BLOCKING_DISPATCHER));
    KubeConnection connection = KubeTestConnections.of(noRetries);
    actor = testKit.spawn(SecretSyncActor.create(new SyncWork(new KubeSecretWriter(connection),
        new KubeEventRecorder(connection, "node-1"), new MountedFiles()), blocking,
        new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), 2)));
    SecretProviderClassPodStatus status = new SecretProviderClassPodStatus();
    status.getMetadata().setName("web-a-app-db-spc");
    status.getMetadata().setNamespace("app");
    status.getMetadata().setUid("spcps-uid-a");
    server.expect().get().withPath(SPCPS).andReturn(200, status).always();
  }

  @AfterEach
  void close() {
    noRetries.close();
  }

  private static Status status(int code, String reason) {
    return new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(reason).build();
  }

  private Path mounted() throws Exception {
    Path target = Files.createDirectories(dir.resolve("web-a"));
    new AtomicWriter().write(target, List.of(new PayloadFile("db-password", 0644, "pw".getBytes(StandardCharsets.UTF_8))));
    return target;
  }

  private SecretSyncActor.SecretStatus await(java.util.function.Predicate<SecretSyncActor.SecretStatus> done) {
    TestProbe<Map<String, SecretSyncActor.SecretStatus>> probe = testKit.createTestProbe();
    return Await.value("the Secret's sync state matches", () -> {
      actor.tell(new SecretSyncActor.GetStatus(probe.ref()));
      return probe.receiveMessage().get("app/db");
    }, s -> s != null && done.test(s));
  }

  private List<RecordedRequest> requests() throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
      out.add(r);
    }
    return out;
  }

  @Test
  void aServerErrorIsRetriedUntilTheSecretIsWritten() throws Exception {
    server.expect().post().withPath(SECRETS).andReturn(500, status(500, "InternalError")).once();
    server.expect().post().withPath(SECRETS).andReturn(201, new SecretBuilder().withNewMetadata().withName("db")
        .withNamespace("app").withResourceVersion("1").endMetadata().build()).once();
    server.expect().post().withPath(EVENTS).andReturn(201, "{}").always();

    new ActorSecretSync(actor).published(spc, pod, mounted());
    SecretSyncActor.SecretStatus s = await(st -> !st.busy());
    assertEquals("CREATED", s.lastOutcome());
    assertEquals(0, s.failures());
    assertEquals(2, s.rounds());

    List<String> calls = requests().stream().map(r -> r.getMethod() + " " + r.getPath()).toList();
    assertEquals(List.of("GET " + SPCPS, "POST " + SECRETS, "POST " + EVENTS, "POST " + SECRETS), calls,
        "the owner uid is looked up once, a new Secret is created without a read, the event recorded once");
  }

  @Test
  void forbiddenIsRetriedAndReportedOnceWithTheRbacHint() throws Exception {
    server.expect().post().withPath(SECRETS).andReturn(403, status(403, "Forbidden")).always();
    server.expect().post().withPath(EVENTS).andReturn(201, "{}").always();

    new ActorSecretSync(actor).published(spc, pod, mounted());
    await(st -> st.failures() >= 3);
    List<RecordedRequest> log = requests();
    List<RecordedRequest> events = log.stream().filter(r -> r.getPath().equals(EVENTS)).toList();
    assertEquals(1, events.size(), "one event per change, not per retry");
    String body = events.get(0).getUtf8Body();
    assertTrue(body.contains("FailedToCreateSecret"), body);
    assertTrue(body.contains("syncSecret.enabled=true"), body);
    assertTrue(log.stream().filter(r -> r.getMethod().equals("POST") && r.getPath().equals(SECRETS)).count() >= 3,
        "each retry tries the create again");
  }
}
