package io.sscsi.synccontroller;

import io.sscsi.testkit.MockApiServers;
import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sscsi.cli.Jvm;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncSpec;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.Integration;
import io.sscsi.testkit.TestProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code sscsi sync-controller --leader-elect} processes against fabric8's CRUD mock (over HTTP,
 * port 0) and the test provider over a real unix socket. Each process has its own bearer token, so
 * the mock's request log ({@link ApplyRecordingCrud}) tells who wrote. Only the Lease holder writes
 * Secrets and SecretSync status, while the other keeps asking for the Lease; after the leader is
 * killed with SIGKILL, the other takes the Lease and syncs a SecretSync created after the kill.
 */
@Integration
class SyncLeaderFailoverTest {
  static final String LEASE = "sync-leader-test";
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  @TempDir Path dir;
  ApplyRecordingCrud crud;
  KubernetesMockServer server;
  KubernetesClient client;
  TestProvider provider;
  Process a;
  Process b;

  @BeforeEach
  void start() throws Exception {
    crud = new ApplyRecordingCrud();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), crud, false);
    server.init();
    client = server.createClient();
    provider = TestProvider.start(Files.createDirectories(dir.resolve("providers")), "vault");
    provider.answerNow(TestProvider.files(Map.of("password", "s3cr3t-1")));
  }

  @AfterEach
  void stop() throws Exception {
    Jvm.kill(a);
    Jvm.kill(b);
    provider.close();
    client.close();
    MockApiServers.destroy(server);
  }

  Process controller(String identity) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig-" + identity);
    Files.writeString(kubeconfig, String.join("\n", "apiVersion: v1", "kind: Config",
        "clusters: [{name: mock, cluster: {server: '" + client.getMasterUrl() + "'}}]",
        "users: [{name: ctrl, user: {token: " + identity + "}}]",
        "contexts: [{name: mock, context: {cluster: mock, user: ctrl}}]", "current-context: mock", ""));
    // Lease timings short enough for the test, long enough that a loaded machine renews in time.
    return Jvm.start(dir.resolve(identity + ".log"), Map.of("SYNC_CONTROLLER_POD_NAME", identity,
            "SYNC_CONTROLLER_POD_UID", "uid-" + identity), "io.sscsi.Main", "sync-controller",
        "--kubeconfig=" + kubeconfig, "--provider-volume=" + dir.resolve("providers"), "--leader-elect",
        "--leader-election-id=" + LEASE, "--leader-election-namespace=default",
        "--leader-elect-lease-duration=10s", "--leader-elect-renew-deadline=8s", "--leader-elect-retry-period=1s",
        "--rotation-poll-interval=0", "--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0", "--admin-addr=");
  }

  /** The port {@code identity} logged for {@code what} (metrics, health). */
  int port(String identity, String what) {
    Pattern p = Pattern.compile("serving " + what + " on [^:\\s]+:(\\d+)");
    Matcher m = Await.value(identity + " serves " + what, Duration.ofSeconds(120),
        () -> p.matcher(Jvm.log(dir.resolve(identity + ".log"))), Matcher::find);
    return Integer.parseInt(m.group(1));
  }

  static String get(int port, String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  /** Waits for the metrics of {@code identity} to hold {@code sample}. */
  void awaitMetric(String identity, String sample) {
    int port = port(identity, "metrics");
    Await.value(identity + "'s /metrics shows " + sample, Duration.ofSeconds(60), () -> get(port, "/metrics"),
        body -> body.lines().anyMatch(l -> l.equals(sample) || l.startsWith(sample + ".")));
  }

  String holder() {
    Lease lease = client.leases().inNamespace("default").withName(LEASE).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  /** Writes (not GETs) by {@code token} to anything but the Lease, from request {@code from} on. */
  List<ApplyRecordingCrud.Request> writes(String token, int from) {
    List<ApplyRecordingCrud.Request> all = List.copyOf(crud.requests);
    return all.subList(Math.min(from, all.size()), all.size()).stream()
        .filter(r -> r.write() && r.token().equals(token) && !r.path().contains("/leases")).toList();
  }

  long leaseRequests(String token) {
    return crud.requests.stream().filter(r -> r.token().equals(token) && r.path().contains("/leases/" + LEASE))
        .count();
  }

  void secretSync(String name) {
    SecretSync s = new SecretSync();
    s.getMetadata().setNamespace("team");
    s.getMetadata().setName(name);
    s.setSpec(new SecretSyncSpec("db-spc", "default", new SecretSyncSpec.SecretObject(null,
        List.of(new SecretSyncSpec.SecretObjectData("password", "DB_PASSWORD")), null, null), null, null));
    client.resources(SecretSync.class).inNamespace("team").resource(s).create();
  }

  void awaitSynced(String name) {
    Await.until("Secret team/" + name + " holds the provider's value and its status is written",
        Duration.ofSeconds(120), () -> {
          var secret = client.secrets().inNamespace("team").withName(name).get();
          var sync = client.resources(SecretSync.class).inNamespace("team").withName(name).get();
          return secret != null && secret.getData() != null && "s3cr3t-1".equals(new String(Base64.getDecoder()
              .decode(secret.getData().getOrDefault("DB_PASSWORD", "")), StandardCharsets.UTF_8))
              && sync.getStatus() != null && sync.getStatus().syncHash() != null;
        });
  }

  @Test
  void onlyTheLeaderWritesAndTheOtherTakesOverWhenItIsKilled() throws Exception {
    SecretProviderClass c = new SecretProviderClass();
    c.getMetadata().setNamespace("team");
    c.getMetadata().setName("db-spc");
    c.setSpec(new SecretProviderClassSpec("vault", Map.of("objects", "one"), null));
    client.resources(SecretProviderClass.class).inNamespace("team").resource(c).create();

    a = controller("ctrl-a");
    b = controller("ctrl-b");
    String leader = Await.value("one of the two holds the Lease", Duration.ofSeconds(120), this::holder,
        h -> h != null);
    String follower = leader.equals("ctrl-a") ? "ctrl-b" : "ctrl-a";
    Process leading = leader.equals("ctrl-a") ? a : b;
    Process following = leader.equals("ctrl-a") ? b : a;

    secretSync("first");
    awaitSynced("first");
    // The follower is alive and still asking for the Lease after the leader's sync: had it started
    // its watches too, it would have synced "first" by now.
    long asked = leaseRequests(follower);
    Await.until("the follower asks for the Lease twice more", Duration.ofSeconds(120),
        () -> leaseRequests(follower) >= asked + 2 && following.isAlive());
    Await.until("the follower's log shows it waiting", Duration.ofSeconds(30),
        () -> Jvm.log(dir.resolve(follower + ".log")).contains("waiting for Lease"));
    assertEquals(List.of(), writes(follower, 0), "the follower wrote nothing");
    assertFalse(writes(leader, 0).isEmpty(), "the leader wrote the Secret and the status");
    assertTrue(writes(leader, 0).stream().anyMatch(r -> r.path().contains("/secrets/first")), "Secret by the leader");
    assertTrue(writes(leader, 0).stream().anyMatch(r -> r.path().contains("/secretsyncs/first/status")));
    assertEquals(leader, holder(), "the leader kept the Lease throughout");
    awaitMetric(leader, "sscsi_secretsync_leader 1");
    awaitMetric(leader, "sscsi_secretsync_syncs_total{result=\"written\"} 1");
    awaitMetric(leader, "sscsi_secretsync_secret_writes_total{cause=\"sync\"} 1");
    awaitMetric(leader, "sscsi_secretsyncs 1");
    awaitMetric(follower, "sscsi_secretsync_leader 0");
    awaitMetric(follower, "sscsi_secretsync_syncs_total{result=\"written\"} 0");
    assertTrue(get(port(follower, "health"), "/readyz").startsWith("200"), "a follower is ready");

    leading.destroyForcibly(); // SIGKILL: no Lease release
    leading.waitFor();
    int atKill = crud.requests.size();

    secretSync("second");
    awaitSynced("second");
    assertEquals(follower, holder(), "the follower took the Lease");
    assertTrue(writes(follower, atKill).stream().anyMatch(r -> r.path().contains("/secrets/second")),
        "the new leader wrote the Secret of the SecretSync created after the kill");
    assertEquals(List.of(), writes(leader, atKill), "the killed leader wrote nothing more");
    assertTrue(following.isAlive(), Jvm.log(dir.resolve(follower + ".log")));
    awaitMetric(follower, "sscsi_secretsync_leader 1");
    awaitMetric(follower, "sscsi_secretsyncs 2");
  }
}
