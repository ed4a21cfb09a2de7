package io.sscsi.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import io.sscsi.testkit.Integration;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.Cluster;
import io.sscsi.testkit.CsiClient;
import io.sscsi.testkit.DriverHarness;
import io.sscsi.testkit.Prometheus;
import io.sscsi.testkit.Requests;
import io.sscsi.testkit.TestProvider;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 13's acceptance for metrics: a real Prometheus (Debian's package; the test is skipped
 * without it) scrapes the real driver after a publish, a republish that rotates, one that fails, an
 * error and an unpublish. {@code promtool check metrics} finds nothing but upstream's own names;
 * every expression of deploy/grafana's dashboard that reads a driver metric returns a number through
 * the query API (the first rotation included: its histogram exists at 0 before it); the first error
 * of a kind shows in {@code increase()}.
 */
@Integration
@EnableKubernetesMockClient(crud = true)
class PrometheusScrapeTest {
  /** Names upstream chose, which promtool's lint may criticise but dashboards depend on. */
  static final Set<String> UPSTREAM_NAMES = Set.of(DriverMetrics.NODE_PUBLISH, DriverMetrics.NODE_PUBLISH_ERROR,
      DriverMetrics.NODE_UNPUBLISH, DriverMetrics.NODE_UNPUBLISH_ERROR, DriverMetrics.ROTATION,
      DriverMetrics.ROTATION_ERROR, DriverMetrics.ROTATION_DURATION, DriverMetrics.SECRET_SYNC,
      DriverMetrics.SECRET_SYNC_DURATION);

  static KubernetesClient client;

  @Test
  void prometheusScrapesTheDriverAndEveryDashboardQueryReturnsData(@TempDir Path dir) throws Exception {
    var prometheusBinary = Prometheus.onPath("prometheus");
    var promtool = Prometheus.onPath("promtool");
    assumeTrue(prometheusBinary.isPresent() && promtool.isPresent(),
        "Debian's prometheus package is not installed (.ci/run installs it)");
    new Cluster(client).secretProviderClass("ns", "spc", "metered", Map.of("objects", "x"));
    try (DriverHarness driver = DriverHarness.start(client, Map.of("sscsi.driver.enable-secret-rotation", true,
            "sscsi.driver.rotation-poll-interval", "0s"));
         TestProvider provider = driver.provider("metered");
         CsiClient csi = driver.client();
         Prometheus prometheus = Prometheus.start(prometheusBinary.get(), dir, driver.started.metrics())) {
      prometheus.awaitTargetUp();
      // the counters a first failure lands on are scraped before it happens
      prometheus.awaitResult("node_unpublish_error_total", s -> true);
      prometheus.awaitResult("node_publish_error_total{provider=\"\",error_type=\"SecretProviderClassNotFound\"}",
          s -> true);

      provider.answerNow(TestProvider.files(Map.of("password", "v1")));
      Path target = driver.target("uid-prom", "v");
      assertEquals(Status.Code.OK, publish(csi, target, "uid-prom", "spc").getCode());
      provider.answerNow(TestProvider.files(Map.of("password", "v2")));
      assertEquals(Status.Code.OK, publish(csi, target, "uid-prom", "spc").getCode(), "kubelet's republish rotates");
      provider.answer(r -> CompletableFuture.failedFuture(io.grpc.Status.UNAVAILABLE.asRuntimeException()));
      assertEquals(Status.Code.OK, publish(csi, target, "uid-prom", "spc").getCode(), "a failed rotation is answered OK");
      assertEquals(Status.Code.NOT_FOUND, publish(csi, driver.target("uid-missing", "v"), "uid-missing", "missing").getCode());
      assertEquals(Status.Code.INVALID_ARGUMENT, csi.unpublish("", target).getCode());
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());

      prometheus.awaitResult("increase(node_unpublish_error_total[5m])", s -> Prometheus.value(s) > 0);
      prometheus.awaitResult("increase(node_publish_error_total{provider=\"\",error_type=\"SecretProviderClassNotFound\"}[5m])",
          s -> Prometheus.value(s) > 0);
      prometheus.awaitResult("rotation_reconcile_total{provider=\"metered\",rotated=\"true\"}", s -> Prometheus.value(s) >= 1);
      prometheus.awaitResult("rotation_reconcile_error_total{provider=\"metered\",error_type=\"GRPCProviderError\"}",
          s -> Prometheus.value(s) >= 1);
      prometheus.awaitResult("rotation_reconcile_duration_sec_bucket{le=\"1.9999999999999991\"}", s -> true);

      String exposition = get(driver.started.metrics(), "/metrics");
      assertFalse(exposition.contains("kamon_"), "no Kamon families");
      assertHelpOnEveryFamily(exposition);
      assertPromtoolFindsOnlyUpstreamNames(promtool.get(), exposition);

      Set<String> families = families(exposition);
      List<String> covered = new ArrayList<>();
      for (String expr : dashboardExpressions()) {
        if (readsAny(expr, families)) {
          covered.add(expr);
          prometheus.awaitResult(substitute(expr), s -> !Double.isNaN(Prometheus.value(s)));
        }
      }
      assertTrue(covered.size() >= 20, "the dashboard's driver queries: " + covered);
      JsonNode instances = prometheus.json("/api/v1/label/instance/values?match[]=sscsi_volumes_mounted").path("data");
      assertEquals(1, instances.size(), "the dashboard's instance variable finds the driver: " + instances);
    }
  }

  static Status publish(CsiClient csi, Path target, String podUid, String spc) {
    return csi.publish(Requests.publish(target, "ns", "pod-" + podUid, podUid, spc).build());
  }

  static void assertHelpOnEveryFamily(String exposition) {
    Matcher type = Pattern.compile("^# TYPE (\\S+) ", Pattern.MULTILINE).matcher(exposition);
    int n = 0;
    while (type.find()) {
      n++;
      assertTrue(Pattern.compile("^# HELP " + Pattern.quote(type.group(1)) + " \\S", Pattern.MULTILINE)
          .matcher(exposition).find(), "no HELP for " + type.group(1));
    }
    assertTrue(n > 20, exposition);
  }

  /** promtool's lint may only object to names upstream chose. */
  static void assertPromtoolFindsOnlyUpstreamNames(Path promtool, String exposition) throws Exception {
    Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    List<String> problems = output.lines().filter(l -> !l.isBlank()).toList();
    for (String problem : problems) {
      String name = problem.trim().split("[:\\s]", 2)[0];
      assertTrue(UPSTREAM_NAMES.contains(name), "promtool: " + problem + "\n" + output);
    }
    assertTrue(exit == 0 || !problems.isEmpty(), "promtool exit " + exit + ": " + output);
  }

  static Set<String> families(String exposition) {
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("^# TYPE (\\S+) (\\S+)", Pattern.MULTILINE).matcher(exposition);
    while (m.find()) {
      names.add(m.group(1));
      if (m.group(2).equals("histogram") || m.group(2).equals("summary")) {
        names.addAll(List.of(m.group(1) + "_bucket", m.group(1) + "_sum", m.group(1) + "_count"));
      }
    }
    return names;
  }

  static List<String> dashboardExpressions() throws Exception {
    JsonNode dashboard = JsonMapper.builder().build()
        .readTree(java.nio.file.Files.readString(Path.of("deploy/grafana/sscsi-dashboard.json")));
    List<String> out = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      panel.path("targets").forEach(t -> out.add(t.path("expr").asString()));
    }
    return out;
  }

  static boolean readsAny(String expr, Set<String> families) {
    Matcher m = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(expr);
    while (m.find()) {
      if (families.contains(m.group())) {
        return true;
      }
    }
    return false;
  }

  /** Grafana's variables as a dashboard over this one driver would fill them. */
  static String substitute(String expr) {
    return expr.replace("$instance", ".*").replace("$__rate_interval", "1m").replace("$__range", "5m")
        .replace("$__interval", "1s");
  }

  static String get(InetSocketAddress at, String path) throws Exception {
    HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }
}
