package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import io.sscsi.k8s.model.SecretProviderClassPodStatusStatus;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.status.PodStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Expectation-mode mock server: the API server answers with scripted errors. The driver's own
 * client is built by {@link KubeClientFactory} from a kubeconfig pointing at the mock server.
 */
@EnableKubernetesMockClient(https = false)
class KubeApiFailureTest {

  static final String BASE = "/apis/secrets-store.csi.x-k8s.io/v1/namespaces/app";
  static final String SPC = BASE + "/secretproviderclasses/vault-db";
  static final String SPCPS_LIST = BASE + "/secretproviderclasspodstatuses";
  static final String SPCPS = SPCPS_LIST + "/web-0-app-vault-db";

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;

  private KubeConnection connection;

  private KubeConnection connect(int retries) {
    Path kubeconfig = KubeTestSupport.kubeconfig(dir, server.url("/"));
    KubeClientFactory.Settings settings =
        new KubeClientFactory.Settings(
            Optional.of(kubeconfig),
            // generous: no test here stalls the server, and a loaded machine can take seconds for the
            // first HTTPS request of a fresh client (a 3 s request timeout failed a clean-clone run)
            Duration.ofSeconds(30),
            Duration.ofSeconds(60),
            retries,
            Duration.ofMillis(20),
            "sscsi/test-version");
    connection = KubeClientFactory.create(settings);
    return connection;
  }

  @BeforeEach
  void noRequestsYet() {
    assertEquals(0, server.getRequestCount());
  }

  @AfterEach
  void close() {
    if (connection != null) {
      connection.close();
    }
  }

  private static Status status(int code, String reason) {
    return new StatusBuilder()
        .withCode(code)
        .withReason(reason)
        .withMessage("server says " + reason)
        .build();
  }

  private static PodStatus podStatus() {
    return new PodStatus(
        "web-0", "app", "uid-1", "vault-db", "node-1", "/target", Map.of("a", "1"));
  }

  private static SecretProviderClassPodStatus existing(String resourceVersion) {
    SecretProviderClassPodStatus o = new SecretProviderClassPodStatus();
    o.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace("app")
            .withName("web-0-app-vault-db")
            .withResourceVersion(resourceVersion)
            .withLabels(Map.of(SecretProviderClassPodStatus.NODE_LABEL, "node-0"))
            .build());
    o.setStatus(new SecretProviderClassPodStatusStatus("web-0", "vault-db", true, "/old", List.of()));
    return o;
  }

  private List<String> requests() throws InterruptedException {
    List<String> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      out.add(r.getMethod() + " " + r.getPath());
    }
    return out;
  }

  @Test
  void creatingTheClientDoesNotContactTheApiServer() {
    KubeConnection c = connect(0);
    assertEquals(server.url("/"), c.masterUrl());
    assertEquals(0, server.getRequestCount());
  }

  @Test
  void requestsCarryTheUserAgentAndTheToken() throws InterruptedException {
    SecretProviderClass spc = new SecretProviderClass();
    spc.setMetadata(new ObjectMetaBuilder().withNamespace("app").withName("vault-db").build());
    spc.setSpec(new SecretProviderClassSpec("vault", Map.of("k", "v"), null));
    server.expect().get().withPath(SPC).andReturn(200, spc).once();

    new KubeProviderClassSource(connect(0)).get("app", "vault-db");

    RecordedRequest r = server.takeRequest();
    assertEquals("sscsi/test-version", r.getHeader("User-Agent"));
    assertEquals("Bearer dummy-token-for-tests", r.getHeader("Authorization"));
  }

  @Test
  void spcForbiddenIsApiForbiddenWithRbacHint() {
    server.expect().get().withPath(SPC).andReturn(403, status(403, "Forbidden")).always();

    DriverException e =
        assertThrows(
            DriverException.class, () -> new KubeProviderClassSource(connect(0)).get("app", "vault-db"));

    assertEquals(FailureKind.API_FORBIDDEN, e.kind());
    assertTrue(e.getMessage().contains("\"get\" on secretproviderclasses"), e.getMessage());
    assertTrue(e.getMessage().contains("app/vault-db"), e.getMessage());
  }

  @Test
  void spcUnauthorizedIsApiForbidden() {
    server.expect().get().withPath(SPC).andReturn(401, status(401, "Unauthorized")).always();

    DriverException e =
        assertThrows(
            DriverException.class, () -> new KubeProviderClassSource(connect(0)).get("app", "vault-db"));

    assertEquals(FailureKind.API_FORBIDDEN, e.kind());
  }

  @Test
  void spcServerErrorIsApiUnavailable() {
    server.expect().get().withPath(SPC).andReturn(500, status(500, "InternalError")).always();

    DriverException e =
        assertThrows(
            DriverException.class, () -> new KubeProviderClassSource(connect(0)).get("app", "vault-db"));

    assertEquals(FailureKind.API_UNAVAILABLE, e.kind());
    assertTrue(e.getMessage().contains("HTTP 500 InternalError"), e.getMessage());
    assertTrue(!e.getMessage().contains("server says"), "no server free text: " + e.getMessage());
  }

  @Test
  void unparseableAnswerIsApiUnavailableWithoutQuotingTheBody() {
    server.expect().get().withPath(SPC).andReturn(200, "{\"spec\": {\"parameters\": [oops").always();

    DriverException e =
        assertThrows(
            DriverException.class, () -> new KubeProviderClassSource(connect(0)).get("app", "vault-db"));

    assertEquals(FailureKind.API_UNAVAILABLE, e.kind());
    assertTrue(!e.getMessage().contains("oops"), e.getMessage());
    assertEquals(null, e.getCause());
  }

  @Test
  void serverErrorIsRetriedByTheClientWhenRetriesAreConfigured() {
    SecretProviderClass spc = new SecretProviderClass();
    spc.setMetadata(new ObjectMetaBuilder().withNamespace("app").withName("vault-db").build());
    spc.setSpec(new SecretProviderClassSpec("vault", Map.of("k", "v"), null));
    server.expect().get().withPath(SPC).andReturn(503, status(503, "ServiceUnavailable")).once();
    server.expect().get().withPath(SPC).andReturn(200, spc).once();

    assertEquals("vault", new KubeProviderClassSource(connect(1)).get("app", "vault-db").provider());
    assertEquals(2, server.getRequestCount());
  }

  @Test
  void statusCreateForbiddenIsApiForbidden() {
    server.expect().post().withPath(SPCPS_LIST).andReturn(403, status(403, "Forbidden")).always();

    DriverException e =
        assertThrows(DriverException.class, () -> new KubePodStatusStore(connect(0)).upsert(podStatus()));

    assertEquals(FailureKind.API_FORBIDDEN, e.kind());
    assertTrue(e.getMessage().contains("secretproviderclasspodstatuses"), e.getMessage());
  }

  @Test
  void statusCreateServerErrorIsApiUnavailable() {
    server.expect().post().withPath(SPCPS_LIST).andReturn(500, status(500, "InternalError")).always();

    DriverException e =
        assertThrows(DriverException.class, () -> new KubePodStatusStore(connect(0)).upsert(podStatus()));

    assertEquals(FailureKind.API_UNAVAILABLE, e.kind());
  }

  @Test
  void updateConflictIsRetriedWithAFreshGet() throws InterruptedException {
    server.expect().post().withPath(SPCPS_LIST).andReturn(409, status(409, "AlreadyExists")).once();
    server.expect().get().withPath(SPCPS).andReturn(200, existing("1")).once();
    server.expect().put().withPath(SPCPS).andReturn(409, status(409, "Conflict")).once();
    server.expect().get().withPath(SPCPS).andReturn(200, existing("2")).once();
    server.expect().put().withPath(SPCPS).andReturn(200, existing("3")).once();

    new KubePodStatusStore(connect(0)).upsert(podStatus());

    assertEquals(
        List.of(
            "POST " + SPCPS_LIST, "GET " + SPCPS, "PUT " + SPCPS, "GET " + SPCPS, "PUT " + SPCPS),
        requests());
  }

  @Test
  void updateUsesTheFetchedResourceVersionAndRelabels() throws InterruptedException {
    server.expect().post().withPath(SPCPS_LIST).andReturn(409, status(409, "AlreadyExists")).once();
    server.expect().get().withPath(SPCPS).andReturn(200, existing("7")).once();
    server.expect().put().withPath(SPCPS).andReturn(200, existing("8")).once();

    new KubePodStatusStore(connect(0)).upsert(podStatus());

    server.takeRequest();
    server.takeRequest();
    RecordedRequest put = server.takeRequest();
    SecretProviderClassPodStatus sent =
        client.getKubernetesSerialization()
            .unmarshal(put.getUtf8Body(), SecretProviderClassPodStatus.class);
    assertEquals("7", sent.getMetadata().getResourceVersion());
    assertEquals("node-1", sent.getMetadata().getLabels().get(SecretProviderClassPodStatus.NODE_LABEL));
    assertEquals("/target", sent.getStatus().targetPath());
  }

  @Test
  void persistentConflictGivesUpAfterThreeRetries() throws InterruptedException {
    server.expect().post().withPath(SPCPS_LIST).andReturn(409, status(409, "AlreadyExists")).once();
    server.expect().get().withPath(SPCPS).andReturn(200, existing("1")).always();
    server.expect().put().withPath(SPCPS).andReturn(409, status(409, "Conflict")).always();

    DriverException e =
        assertThrows(DriverException.class, () -> new KubePodStatusStore(connect(0)).upsert(podStatus()));

    assertEquals(FailureKind.API_UNAVAILABLE, e.kind());
    long puts = requests().stream().filter(r -> r.startsWith("PUT ")).count();
    assertEquals(1 + KubePodStatusStore.CONFLICT_RETRIES, puts);
  }

  @Test
  void updateForbiddenIsApiForbidden() {
    server.expect().post().withPath(SPCPS_LIST).andReturn(409, status(409, "AlreadyExists")).once();
    server.expect().get().withPath(SPCPS).andReturn(200, existing("1")).once();
    server.expect().put().withPath(SPCPS).andReturn(403, status(403, "Forbidden")).always();

    DriverException e =
        assertThrows(DriverException.class, () -> new KubePodStatusStore(connect(0)).upsert(podStatus()));

    assertEquals(FailureKind.API_FORBIDDEN, e.kind());
  }

  @Test
  void deleteOfMissingObjectSucceedsAndForbiddenIsReported() {
    server.expect().delete().withPath(SPCPS).andReturn(404, status(404, "NotFound")).once();
    server.expect().delete().withPath(SPCPS).andReturn(403, status(403, "Forbidden")).once();
    KubePodStatusStore store = new KubePodStatusStore(connect(0));

    assertDoesNotThrow(() -> store.delete("app", "web-0-app-vault-db"));
    DriverException e =
        assertThrows(DriverException.class, () -> store.delete("app", "web-0-app-vault-db"));
    assertEquals(FailureKind.API_FORBIDDEN, e.kind());
    assertTrue(e.getMessage().contains("\"delete\""), e.getMessage());
  }
}
