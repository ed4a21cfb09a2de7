package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Answers of a real API server that CRUD mode never gives, scripted on top of it (expectations are
 * answered first, everything else by CRUD): a delete locked to a resourceVersion that is no longer
 * current is refused with 409, and a throttled request gets 429 with Retry-After. The driver's
 * client is built by {@link KubeClientFactory} with the driver's defaults (one retry).
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubeApiConflictTest {
  static final String SECRETS = "/api/v1/namespaces/app/secrets";

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;

  private KubeConnection connection;
  private KubeSecretWriter writer;
  private SecretOwner podA;
  private SecretOwner podB;

  @BeforeEach
  void setUp() {
    connection = KubeClientFactory.create(KubeClientFactory.Settings.defaults(
        Optional.of(KubeTestSupport.kubeconfig(dir, server.url("/"))), "test"));
    writer = new KubeSecretWriter(connection, SecretOwnerPolicy.POD_STATUS);
    podA = new SecretOwner("web-a-app-db", podStatus("web-a-app-db"));
    podB = new SecretOwner("web-b-app-db", podStatus("web-b-app-db"));
  }

  @AfterEach
  void close() {
    connection.close();
  }

  private String podStatus(String name) {
    SecretProviderClassPodStatus s = new SecretProviderClassPodStatus();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace("app");
    return client.resources(SecretProviderClassPodStatus.class).inNamespace("app").resource(s).create()
        .getMetadata().getUid();
  }

  private SecretWrite want(String password, Set<SecretOwner> owners, Set<SecretOwner> gone) {
    return new SecretWrite("app", "db", password == null ? Optional.empty() : Optional.of(new DesiredSecret("app", "db",
        "Opaque", Map.of("password", password.getBytes(StandardCharsets.UTF_8)),
        Map.of(SecretProjection.MANAGED_LABEL, "true"), Map.of())), owners, gone, false);
  }

  private List<RecordedRequest> secretRequests() throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(20, TimeUnit.MILLISECONDS)) != null) {
      if (r.getPath().startsWith(SECRETS)) {
        out.add(r);
      }
    }
    return out;
  }

  private static List<String> lines(List<RecordedRequest> requests) {
    return requests.stream().map(r -> r.getMethod() + " " + r.getPath()).toList();
  }

  @Test
  void aDeleteLockedToAStaleResourceVersionIsRefusedThenTheSecretIsReadAndTheOtherOwnerKept() throws Exception {
    KubeSecretWriter.Synced mine = writer.sync(want("v1", Set.of(podA), Set.of()), Optional.empty());
    // Another node's driver adds its pod: what this node knows is now stale.
    new KubeSecretWriter(KubeTestConnections.of(client), SecretOwnerPolicy.POD_STATUS).sync(want(null, Set.of(podB), Set.of()));
    secretRequests();
    // As a real API server answers a delete whose precondition no longer holds (CRUD mode ignores it).
    server.expect().delete().withPath(SECRETS + "/db").andReturn(409, new StatusBuilder().withStatus("Failure")
        .withCode(409).withReason("Conflict").withMessage("precondition failed").build()).once();

    KubeSecretWriter.Synced after = writer.sync(want(null, Set.of(), Set.of(podA)), mine.known());

    List<RecordedRequest> requests = secretRequests();
    assertEquals(List.of("DELETE " + SECRETS + "/db", "GET " + SECRETS + "/db", "PATCH " + SECRETS + "/db"),
        lines(requests));
    String deleteBody = requests.get(0).getUtf8Body();
    assertTrue(deleteBody.contains("\"preconditions\"") && deleteBody.contains(mine.known().get().resourceVersion()),
        "the delete is locked to the resourceVersion the driver knew: " + deleteBody);
    assertEquals(KubeSecretWriter.Outcome.PATCHED, after.outcome());
    Secret s = client.secrets().inNamespace("app").withName("db").get();
    assertEquals(List.of(podB.uid()), s.getMetadata().getOwnerReferences().stream().map(OwnerReference::getUid).toList());
  }

  @Test
  void aThrottledCreateIsRetriedAfterRetryAfterByTheClient() throws Exception {
    server.expect().post().withPath(SECRETS).andReturn(429, new StatusBuilder().withStatus("Failure").withCode(429)
        .withReason("TooManyRequests").withMessage("too many requests, please try again later").build())
        .withHeader("Retry-After", "1").once();

    KubeSecretWriter.Synced synced = writer.sync(want("v1", Set.of(podA), Set.of()), Optional.empty());

    assertEquals(KubeSecretWriter.Outcome.CREATED, synced.outcome());
    assertEquals(List.of("POST " + SECRETS, "POST " + SECRETS), lines(secretRequests()));
    assertNotNull(client.secrets().inNamespace("app").withName("db").get());
  }

  @Test
  void throttlingThatOutlastsTheClientsRetryIsAFailureWorthRetrying() throws Exception {
    server.expect().post().withPath(SECRETS).andReturn(429, new StatusBuilder().withStatus("Failure").withCode(429)
        .withReason("TooManyRequests").withMessage("too many requests").build())
        .withHeader("Retry-After", "1").times(2);

    DriverException e = assertThrows(DriverException.class,
        () -> writer.sync(want("v1", Set.of(podA), Set.of()), Optional.empty()));

    assertEquals(FailureKind.API_UNAVAILABLE, e.kind(), "Secret sync retries it with its own backoff");
    assertTrue(e.getMessage().contains("HTTP 429"), e.getMessage());
    assertEquals(2, secretRequests().size());
    assertNull(client.secrets().inNamespace("app").withName("db").get());
  }
}
