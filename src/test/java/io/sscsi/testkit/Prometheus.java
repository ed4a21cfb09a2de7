package io.sscsi.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus server (Debian's {@code prometheus} package) scraping one target every second,
 * on loopback, on a port found by binding port 0. Queries go through its HTTP API; waits poll that
 * API until the condition holds, with a deadline only to fail a broken run.
 */
public final class Prometheus implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final Duration POLL = Duration.ofMillis(250);

  private final Process process;
  private final URI api;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private Prometheus(Process process, URI api, Path log) {
    this.process = process;
    this.api = api;
    this.log = log;
  }

  /** The executable {@code name} on the PATH, if any. */
  public static Optional<Path> onPath(String name) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst();
  }

  /** Starts Prometheus in {@code dir}, scraping {@code target}'s {@code /metrics} every second. */
  public static Prometheus start(Path binary, Path dir, InetSocketAddress target) throws IOException {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, String.join("\n",
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: sscsi",
        "    static_configs:",
        "      - targets: ['127.0.0.1:" + target.getPort() + "']",
        ""));
    Path log = dir.resolve("prometheus.log");
    Process process = new ProcessBuilder(binary.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Prometheus p = new Prometheus(process, URI.create("http://127.0.0.1:" + port), log);
    p.await("Prometheus ready", () -> p.get("/-/ready").statusCode() == 200 ? "ready" : null);
    return p;
  }

  /** Waits until the scrape target is up. */
  public void awaitTargetUp() {
    await("the driver target up", () -> {
      JsonNode targets = json("/api/v1/targets").path("data").path("activeTargets");
      return targets.size() == 1 && targets.get(0).path("health").asString().equals("up") ? "up" : null;
    });
  }

  /** Runs an instant query. */
  public JsonNode query(String promql) {
    return json("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).path("data");
  }

  /** Waits until {@code promql} returns at least one sample accepted by {@code test}. */
  public JsonNode awaitResult(String promql, Predicate<JsonNode> test) {
    return await("a result for " + promql, () -> {
      JsonNode result = query(promql).path("result");
      for (JsonNode sample : result) {
        if (test.test(sample)) {
          return result;
        }
      }
      return null;
    });
  }

  /** The sample's value as a number ({@code NaN} for Prometheus's NaN). */
  public static double value(JsonNode sample) {
    return Double.parseDouble(sample.path("value").get(1).asString());
  }

  public JsonNode json(String path) {
    HttpResponse<String> response = get(path);
    if (response.statusCode() != 200) {
      throw new IllegalStateException(path + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return JSON.readTree(response.body());
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(HttpRequest.newBuilder(api.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Polls {@code check} until it returns non-null; fails with Prometheus's log after the deadline. */
  private <T> T await(String what, java.util.function.Supplier<T> check) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Prometheus exited while waiting for " + what + ":\n" + logTail());
      }
      try {
        T value = check.get();
        if (value != null) {
          return value;
        }
      } catch (RuntimeException e) {
        last = e; // not listening yet, or a query on data not there yet
      }
      try {
        process.waitFor(POLL.toMillis(), TimeUnit.MILLISECONDS); // wakes at once if Prometheus dies
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("waited " + DEADLINE.toSeconds() + " s for " + what
        + (last == null ? "" : " (last error: " + last.getMessage() + ")") + "\n" + logTail());
  }

  private String logTail() {
    try {
      java.util.List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
