package io.sscsi.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.grpc.Status;
import io.sscsi.DriverProcess;
import io.sscsi.config.DriverSettings;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.fs.DirectoryMounter;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.Cluster;
import io.sscsi.testkit.CsiClient;
import io.sscsi.testkit.Integration;
import io.sscsi.testkit.Requests;
import io.sscsi.testkit.TestProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode's start, wired as {@code sscsi driver --kubeconfig} wires it ({@code DriverCommand.clusterCore}),
 * against fabric8's mock API server in CRUD mode: the first publish is decided without the API server's
 * watches (its class is one GET, its status one create), and the watches (list, then watch, of
 * SecretProviderClasses and of the labelled Secrets) start only after that publish was answered, so
 * neither their requests nor their classes are on the first publish's path. Requests are told apart by
 * the driver's User-Agent and taken in the order the mock received them.
 */
@Integration
@EnableKubernetesMockClient(crud = true)
class ClusterWatchesAfterFirstCallTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir Path dir;

  @Test
  void theWatchesStartAfterTheFirstPublishWasAnswered() throws Exception {
    new Cluster(client).secretProviderClass("app", "spc", "keeper", Map.of("objects", "x"));
    Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), String.join("\n", "apiVersion: v1", "kind: Config",
        "clusters: [{name: mock, cluster: {server: '" + client.getConfiguration().getMasterUrl()
            + "', insecure-skip-tls-verify: true}}]", // the mock's own certificate
        "users: [{name: driver, user: {token: test}}]",
        "contexts: [{name: mock, context: {cluster: mock, user: driver, namespace: default}}]",
        "current-context: mock", ""));
    Map<String, Object> o = new HashMap<>();
    o.put("sscsi.driver.endpoint", "unix://" + dir.resolve("csi.sock"));
    o.put("sscsi.driver.node-id", "node-1");
    o.put("sscsi.driver.provider-volume", dir.resolve("providers").toString());
    o.put("sscsi.driver.additional-provider-volume-paths", List.of());
    o.put("sscsi.driver.kubelet-dir", dir.toString());
    o.put("sscsi.driver.kubeconfig", kubeconfig.toString());
    o.put("sscsi.driver.metrics-addr", "");
    o.put("sscsi.driver.admin-addr", "");
    o.put("sscsi.driver.core-start-wait", "1h"); // only the calls below start the core and what follows it
    Config config = ConfigFactory.parseMap(o).withFallback(ConfigFactory.load()).resolve();
    DriverSettings settings = DriverSettings.from(config);
    drainDriverRequests(); // the test's own set-up

    try (TestProvider provider = TestProvider.start(Files.createDirectories(dir.resolve("providers")), "keeper");
         DriverProcess driver = DriverProcess.serve(settings, config,
             () -> DriverCommand.clusterCore(settings, new DirectoryMounter()));
         CsiClient csi = new CsiClient(dir.resolve("csi.sock"))) {
      provider.answerNow(TestProvider.files(Map.of("key", "value")));
      csi.call(CsiMethods.GET_PLUGIN_INFO, GetPluginInfoRequest.getDefaultInstance()); // the core starts

      Path target = dir.resolve("pods/uid-1/volumes/kubernetes.io~csi/secrets/mount");
      Status published = csi.publish(Requests.publish(target, "app", "pod-1", "uid-1", "spc").build());
      assertEquals(Status.Code.OK, published.getCode(), published::toString);
      assertEquals("value", Files.readString(target.resolve("key")));

      List<String> requests = new ArrayList<>();
      Await.until("both watches listed and watch", Duration.ofSeconds(90), () -> {
        requests.addAll(drainDriverRequests());
        return requests.stream().filter(r -> r.startsWith("WATCH ")).count() >= 2;
      });
      int create = requests.indexOf("POST secretproviderclasspodstatuses");
      assertTrue(create >= 0, "the first publish created its status: " + requests);
      assertEquals(List.of("GET secretproviderclasses/spc", "POST secretproviderclasspodstatuses"),
          requests.subList(0, create + 1), "the first publish's requests come first, the class one GET: " + requests);
      List<String> after = requests.subList(create + 1, requests.size());
      assertTrue(after.containsAll(List.of("LIST secretproviderclasses", "LIST secrets",
          "WATCH secretproviderclasses", "WATCH secrets")), "then the watches start: " + requests);
    }
  }

  /**
   * The driver's requests received since the last call, in order, as {@code VERB resource[/name]}
   * (LIST and WATCH for collection reads), those of other clients left out.
   */
  private static List<String> drainDriverRequests() throws InterruptedException {
    List<String> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
      String agent = r.getHeader("User-Agent");
      if (agent == null || !agent.startsWith("sscsi/")) {
        continue;
      }
      String path = r.getPath();
      int q = path.indexOf('?');
      String query = q < 0 ? "" : path.substring(q + 1);
      String[] parts = (q < 0 ? path : path.substring(0, q)).replaceAll("^/+", "").split("/");
      int at = parts[0].equals("api") ? 2 : 3; // api/v1/... or apis/group/version/...
      if (parts.length > at + 2 && parts[at].equals("namespaces")) {
        at += 2;
      }
      boolean named = parts.length > at + 1;
      String verb = !r.getMethod().equals("GET") ? r.getMethod() : query.contains("watch=true") ? "WATCH" : named ? "GET" : "LIST";
      out.add(verb + " " + parts[at] + (named && verb.equals("GET") ? "/" + parts[at + 1] : ""));
    }
    return out;
  }
}
