package io.sscsi.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.testkit.Await;
import io.sscsi.testkit.DaemonSetJvm;
import io.sscsi.testkit.Integration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thread budget of pekko's own dispatchers (BENCHMARKS.md, "Threads of an idle driver"): the
 * driver's actors run on sscsi.core-dispatcher, so what pekko's default dispatcher runs is its
 * system actors and pekko-http's admin and metrics endpoints. The driver process, started as the
 * DaemonSet runs it, serves concurrent scrapes of both endpoints; then pekko's default dispatcher has
 * at most 2 threads and its internal dispatcher none of its own (pekko's defaults start up to 8 and
 * 4 on this machine's CPUs). Kamon starts no thread at all (its ticker, scheduler and reporter
 * module were 4: each scrape takes Kamon's snapshot instead).
 */
@Integration
class DriverThreadsTest {
  static final Pattern CORE_UP = Pattern.compile("core up: admin endpoint on /([\\d.]+:\\d+), metrics on /([\\d.]+:\\d+)");

  @TempDir Path dir;

  @Test
  void pekkosDispatchersKeepToTwoThreadsAndKamonStartsNoneUnderConcurrentScrapes() throws Exception {
    Path socket = dir.resolve("plugin/csi.sock");
    Files.createDirectories(socket.getParent());
    String java = ProcessHandle.current().info().command().orElseThrow();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(DaemonSetJvm.flags());
    command.addAll(io.sscsi.cli.Jvm.quietRuntimeFlags());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sscsi.Main", "driver",
        "--endpoint=unix://" + socket, "--nodeid=node-1", "--provider-volume=" + dir.resolve("providers"),
        "--additional-provider-volume-paths=", "--local-classes=" + Files.createDirectories(dir.resolve("classes")),
        "--local-state=" + dir.resolve("state"), "--kubelet-dir=", "--metrics-addr=127.0.0.1:0",
        "--admin-addr=127.0.0.1:0"));
    Path log = dir.resolve("driver.log");
    Process driver = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      Matcher up = awaitCoreUp(driver, log);
      HttpClient http = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<String>>> scrapes = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        String url = i % 2 == 0 ? "http://" + up.group(2) + "/metrics" : "http://" + up.group(1) + "/healthz";
        scrapes.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> s : scrapes) {
        assertEquals(200, s.get(2, TimeUnit.MINUTES).statusCode());
      }

      List<String> threads = threadNames(java, driver.pid());
      List<String> internal = threads.stream().filter(t -> t.contains("pekko.actor.internal-dispatcher")).toList();
      List<String> dflt = threads.stream().filter(t -> t.contains("pekko.actor.default-dispatcher")).toList();
      assertTrue(internal.isEmpty(), () -> "pekko's internal dispatcher shares the default one: " + threads);
      assertTrue(!dflt.isEmpty() && dflt.size() <= 2, () -> "pekko's default dispatcher: " + dflt);
      List<String> kamon = threads.stream()
          .filter(t -> t.toLowerCase(Locale.ROOT).contains("kamon") || t.contains("Prometheus Reporter")).toList();
      assertTrue(kamon.isEmpty(), () -> "Kamon starts no thread (scrapes take its snapshot): " + kamon);
      System.out.println("driver threads after the scrapes (" + threads.size() + "): " + threads);
    } finally {
      driver.destroy();
      driver.waitFor(60, TimeUnit.SECONDS);
    }
  }

  /** Waits for the driver's "core up" log line (a hang guard of 3 minutes for an overloaded machine). */
  private static Matcher awaitCoreUp(Process driver, Path log) throws Exception {
    String text = Await.value("the driver's core up (or its exit)", Duration.ofMinutes(3),
        () -> Files.exists(log) ? Files.readString(log) : "",
        t -> CORE_UP.matcher(t).find() || !driver.isAlive());
    Matcher m = CORE_UP.matcher(text);
    assertTrue(m.find(), () -> "the driver exited: " + text);
    return m;
  }

  /** The driver's Java threads, by name, from {@code jcmd Thread.print} of the JDK that runs the tests. */
  private static List<String> threadNames(String java, long pid) throws Exception {
    Path jcmd = Path.of(java).resolveSibling("jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0, out);
    List<String> names = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\"([^\"]+)\"").matcher(out);
    while (m.find()) {
      names.add(m.group(1));
    }
    assertTrue(names.contains("main"), out);
    return names;
  }
}
