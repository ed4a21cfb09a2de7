package io.sscsi.admin;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Prometheus scrape against a golden list of names, and the admin endpoint, after real calls. */
@EnableKubernetesMockClient(crud = true)
@Integration
class MetricsAndAdminTest {
  static final String SECRET = "ADMIN-SECRET-VALUE-42";
  /** Exposed after a publish, a republish, an unpublish and a failed publish: upstream's and ours. */
  static final Set<String> GOLDEN = Set.of(
      "node_publish_total", "node_publish_error_total", "node_unpublish_total",
      "sscsi_provider_call_duration_seconds", "sscsi_provider_calls_in_flight", "sscsi_volumes_mounted");

  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client);
    provider = driver.provider("metered");
    provider.answerNow(TestProvider.files(Map.of("password", SECRET)));
    new Cluster(client).secretProviderClass("ns", "spc", "metered", Map.of("objects", "x"));
    new Cluster(client).secretProviderClass("ns", "uninstalled", "absent", Map.of("objects", "x"));
  }

  @AfterAll
  static void stop() throws Exception {
    provider.close();
    driver.close();
  }

  static HttpResponse<String> get(InetSocketAddress at, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metricsCarryUpstreamNamesAndLabels() throws Exception {
    Path target = driver.target("uid-m", "v");
    try (CsiClient csi = driver.client()) {
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "ns", "pod-m", "uid-m", "spc").build()).getCode());
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "ns", "pod-m", "uid-m", "spc").build()).getCode());
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
      assertEquals(Status.Code.NOT_FOUND,
          csi.publish(Requests.publish(driver.target("uid-x", "v"), "ns", "pod-x", "uid-x", "missing").build()).getCode());
      assertEquals(Status.Code.FAILED_PRECONDITION,
          csi.publish(Requests.publish(driver.target("uid-y", "v"), "ns", "pod-y", "uid-y", "uninstalled").build()).getCode());
    }
    String body = Await.value("every golden family and the absent provider's error series are scraped", () -> {
      HttpResponse<String> response = get(driver.started.metrics(), "/metrics");
      assertEquals(200, response.statusCode());
      return response.body();
    }, text -> typeNames(text).containsAll(GOLDEN) && hasSeries(text, "node_publish_error_total", "provider=\"absent\""));
    Set<String> names = typeNames(body);
    assertTrue(names.containsAll(GOLDEN), "missing " + new TreeSet<>(GOLDEN) + " in " + names);
    assertTrue(hasSeries(body, "node_publish_total", "provider=\"metered\"", "os_type=\"linux\""), body);
    assertTrue(hasSeries(body, "node_publish_error_total", "error_type=\"SecretProviderClassNotFound\"",
        "provider=\"\"", "os_type=\"linux\""), "no class, no provider: " + body);
    assertTrue(hasSeries(body, "node_publish_error_total", "error_type=\"FailedToLookupProviderGRPCClient\"",
        "provider=\"absent\"", "os_type=\"linux\""), "a failed first publish carries its class's provider: " + body);
    assertTrue(hasSeries(body, "node_unpublish_total", "os_type=\"linux\""), body);
    assertTrue(hasSeries(body, "node_unpublish_error_total", "os_type=\"linux\""), "exists before any failure");
    assertTrue(hasSeries(body, "node_publish_error_total", "provider=\"metered\"", "error_type=\"FileWriteError\""),
        "every error_type of a provider exists from its first use");
    assertTrue(hasSeries(body, "rotation_reconcile_total", "provider=\"metered\"", "rotated=\"true\""), body);
    for (String name : typeNames(body)) {
      assertTrue(body.contains("# HELP " + name + " "), "no HELP for " + name);
    }
    assertFalse(body.contains("kamon_"), "no Kamon families");
    assertFalse(body.contains(SECRET));
  }

  @Test
  void adminEndpointShowsVolumesFromTheActorsAndNoSecret() throws Exception {
    Path target = driver.target("uid-a", "creds");
    try (CsiClient csi = driver.client()) {
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "ns", "pod-a", "uid-a", "spc").build()).getCode());
      InetSocketAddress admin = driver.started.admin();

      HttpResponse<String> all = get(admin, "/volumes");
      assertEquals(200, all.statusCode());
      assertTrue(all.body().contains("\"podUid\" : \"uid-a\""), all.body());
      assertTrue(all.body().contains("\"volumeName\" : \"creds\""), all.body());
      assertTrue(all.body().contains("\"secret/password\" : \"v1\""), all.body());
      assertTrue(all.body().contains("\"provider\" : \"metered\""), all.body());
      assertFalse(all.body().contains(SECRET));

      HttpResponse<String> one = get(admin, "/volumes/uid-a/creds");
      assertEquals(200, one.statusCode());
      assertTrue(one.body().contains("\"secretProviderClass\" : \"spc\""), one.body());
      assertTrue(one.body().contains("\"lastResult\" : \"ok\""), one.body());
      assertEquals(404, get(admin, "/volumes/uid-a/other").statusCode());

      assertEquals(200, get(admin, "/healthz").statusCode());
      Await.until("the API watches connected (they connect in the background)", () -> driver.readiness().ready());
      HttpResponse<String> ready = get(admin, "/readyz");
      assertEquals(200, ready.statusCode(), ready.body());
      assertTrue(ready.body().contains("csi-socket: ok"));
      assertTrue(ready.body().contains("api-server: ok"), ready.body());

      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    }
    assertFalse(get(driver.started.admin(), "/volumes").body().contains("uid-a"));
  }

  /** A sample line of {@code name} carrying every label given (Kamon does not order labels). */
  static boolean hasSeries(String exposition, String name, String... labels) {
    return exposition.lines().filter(l -> l.startsWith(name + "{"))
        .anyMatch(l -> java.util.Arrays.stream(labels).allMatch(l::contains));
  }

  static Set<String> typeNames(String exposition) {
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("^# TYPE (\\S+) ", Pattern.MULTILINE).matcher(exposition);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }
}
