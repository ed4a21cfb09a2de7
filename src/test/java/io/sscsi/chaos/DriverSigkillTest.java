package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.cli.Jvm;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.testkit.*;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The driver as its own OS process, killed with SIGKILL while 100 volumes are mounted, then started
 * again: every volume is still mounted and adopted, admin and metrics agree, republishes are
 * answered at once without a provider call, and unpublishing everything leaves no mount.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class DriverSigkillTest {
  static final int VOLUMES = 100;
  static KubernetesClient client;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void sigkillWithAHundredVolumesMountedThenRestart() throws Exception {
    Path root = Files.createTempDirectory("sscsi-chaos-");
    Path socket = root.resolve("csi/csi.sock");
    Path providers = Files.createDirectories(root.resolve("providers"));
    Path kubeconfig = root.resolve("kubeconfig");
    Files.writeString(kubeconfig, String.join("\n", "apiVersion: v1", "kind: Config",
        "clusters: [{name: mock, cluster: {server: '" + client.getMasterUrl() + "'}}]",
        "users: [{name: driver, user: {token: test}}]",
        "contexts: [{name: mock, context: {cluster: mock, user: driver}}]", "current-context: mock", ""));
    int adminPort = freePort(), metricsPort = freePort();
    String[] driverArgs = {"driver", "--endpoint=unix://" + socket, "--nodeid=node-1", "--provider-volume=" + providers,
        "--additional-provider-volume-paths=", "--kubeconfig=" + kubeconfig, "--kubelet-dir=" + root,
        "--admin-addr=127.0.0.1:" + adminPort, "--metrics-addr=127.0.0.1:" + metricsPort};
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "spc", "keeper", Map.of("objects", "x"));
    List<String> uids = new ArrayList<>();
    for (int i = 0; i < VOLUMES; i++) {
      uids.add(cluster.pod("ns", "pod-" + i, "u" + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(10);
    Process driver = null;
    try (TestProvider provider = TestProvider.start(providers, "keeper")) {
      provider.answerNow(TestProvider.files(Map.of("key", "before-the-crash")));
      driver = Jvm.start(root.resolve("driver-1.log"), "io.sscsi.Main", driverArgs);
      awaitReady(socket, driver, root.resolve("driver-1.log"));
      assertAll(pool, uids, root, Status.Code.OK);
      assertEquals(VOLUMES, mounts(root).size());

      driver.destroyForcibly(); // SIGKILL: no shutdown hook, no unpublish
      driver.waitFor();
      assertEquals(VOLUMES, mounts(root).size(), "the tmpfs volumes outlive the driver");
      assertTrue(Files.exists(socket), "a killed driver leaves its socket file: the restart must remove it");
      int calls = provider.requests.size();

      driver = Jvm.start(root.resolve("driver-2.log"), "io.sscsi.Main", driverArgs);
      awaitReady(socket, driver, root.resolve("driver-2.log"));
      String volumes = awaitCount(adminPort, VOLUMES);
      assertTrue(volumes.contains("\"state\" : \"recovered\""));
      String metrics = awaitMetric(metricsPort, "sscsi_volumes_mounted " + VOLUMES + ".0");
      assertTrue(metrics.contains("sscsi_volumes_mounted " + VOLUMES + ".0"));

      long start = System.nanoTime();
      assertAll(pool, uids, root, Status.Code.OK);
      assertEquals(calls, provider.requests.size(), "recovered volumes are answered without a provider call");
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(30).toNanos(), "100 republishes answered promptly");
      assertEquals(VOLUMES, mounts(root).size(), "no stacked mounts");
      assertEquals("before-the-crash", Files.readString(target(root, uids.get(7)).resolve("key")));

      try (CsiClient csi = new CsiClient(socket)) {
        for (String uid : uids) {
          assertEquals(Status.Code.OK, csi.unpublish("v", target(root, uid)).getCode());
        }
      }
      assertTrue(mounts(root).isEmpty(), "no leaked mount");
      awaitCount(adminPort, 0);
    } finally {
      pool.shutdownNow();
      Jvm.kill(driver);
      JnrMounter mounter = new JnrMounter();
      mounts(root).forEach(m -> mounter.unmount(m.mountPoint()));
    }
  }

  static Path target(Path root, String uid) {
    return root.resolve("pods").resolve(uid).resolve("volumes/kubernetes.io~csi/v/mount");
  }

  static void assertAll(ExecutorService pool, List<String> uids, Path root, Status.Code expected) throws Exception {
    Path socket = root.resolve("csi/csi.sock");
    try (CsiClient csi = new CsiClient(socket)) {
      List<Future<Status>> calls = new ArrayList<>();
      for (int i = 0; i < uids.size(); i++) {
        String uid = uids.get(i);
        String pod = "pod-" + i;
        calls.add(pool.submit(() -> csi.publish(Requests.publish(target(root, uid), "ns", pod, uid, "spc").build())));
      }
      for (Future<Status> call : calls) {
        assertEquals(expected, call.get().getCode(), call.get().toString());
      }
    }
  }

  static List<MountEntry> mounts(Path root) {
    return new MountTable().under(root.resolve("pods"));
  }

  static void awaitReady(Path socket, Process driver, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      assertTrue(driver.isAlive(), "driver exited: " + Jvm.log(log));
      if (Files.exists(socket)) {
        try (CsiClient csi = new CsiClient(socket)) {
          csi.call(CsiMethods.GET_PLUGIN_INFO, GetPluginInfoRequest.getDefaultInstance());
          return;
        } catch (RuntimeException notYet) {
          // the socket file may exist before the server answers
        }
      }
      Thread.sleep(100);
    }
    fail("driver not ready: " + Jvm.log(log));
  }

  static String awaitCount(int adminPort, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      body = get(adminPort, "/volumes");
      if (body.split("\"targetPath\"", -1).length - 1 == count) {
        return body;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("expected " + count + " volumes: " + body.length() + " bytes");
  }

  static String awaitMetric(int port, String line) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      body = get(port, "/metrics");
      if (body.contains(line)) {
        return body;
      }
      Thread.sleep(200);
    }
    return body;
  }

  /** The body, or "" while the endpoint is not listening yet (it binds just after the CSI socket). */
  static String get(int port, String path) throws Exception {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (java.net.ConnectException notYet) {
      return "";
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
