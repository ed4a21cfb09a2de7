package io.sscsi.bench;

import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The driver's start alone, A/B (a {@code main}): for each round, each runtime in turn (interleaved, so a
 * change of the machine's load hits every runtime alike) starts the driver as {@link PodBench} does
 * (local mode, or with {@code --mode=cluster} against fabric8's mock API server in CRUD mode as PodBench
 * runs cluster mode; the DaemonSet's args, a cgroup with the given CPU and memory limits), then measures CPU
 * when GetPluginInfo first answers, time and CPU from the socket file to the first publish answered, CPU
 * per thread group over that span, the p50 of the first 50 publishes and, in cluster mode, the API requests
 * made before the first publish was answered, in order. Nothing else (no warm or
 * memory phases), so close cells can be repeated within one run:
 *
 * <pre>
 *   java -cp CP io.sscsi.bench.StartBench --work=DIR --runtimes=new=FILE,old=FILE [--rounds=5] [--cpu=200] [--memory-mi=256] [--mode=local|cluster]
 * </pre>
 *
 * Each FILE holds a command prefix up to and including {@code -jar <jar>}, as {@code
 * deploy/hack/local-runtime.sh | tail -1} prints it (extra JVM flags such as {@code -Xlog} may be added to it).
 * With {@code --census}, after the 50 publishes (the endpoints bound, nothing scraped yet) and again
 * after one {@code /metrics} scrape: the driver's threads, RSS and loaded classes (all, and Kamon's), and
 * the names of Kamon's threads ({@code jcmd}; it costs the driver CPU, so the run's p50 is not comparable).
 */
public final class StartBench {
  private static boolean census;

  private StartBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchMain.args(args);
    a.putIfAbsent("out", a.get("work") + "/start");
    String mode = a.getOrDefault("mode", "local");
    a.put("modes", mode);
    census = a.containsKey("census");
    PodBench bench = new PodBench(a);
    int rounds = Integer.parseInt(a.getOrDefault("rounds", "5"));
    PodBench.Limits limits = new PodBench.Limits("start", Long.parseLong(a.getOrDefault("cpu", "200")),
        Long.parseLong(a.getOrDefault("memory-mi", "256")) << 20);
    List<PodBench.Launch> runtimes = new ArrayList<>();
    bench.configs.stream().map(PodBench.Config::runtime).distinct().forEach(runtimes::add);
    Map<String, List<Map<String, Object>>> all = new LinkedHashMap<>();
    BenchMain.runAndExit("start-bench-cleanup", bench::cleanup, () -> {
      bench.prepareWork();
      bench.startProvider();
      bench.warmUpClient();
      if (mode.equals("cluster")) {
        bench.startMockApiServer();
      }
      for (int round = 1; round <= rounds; round++) {
        for (PodBench.Launch rt : runtimes) {
          Map<String, Object> r = once(bench, new PodBench.Config(rt, limits, mode));
          System.out.println(rt.name() + " #" + round + " " + r);
          all.computeIfAbsent(rt.name(), k -> new ArrayList<>()).add(r);
        }
      }
      System.out.println(summary(all, limits));
    });
  }

  static Map<String, Object> once(PodBench bench, PodBench.Config c) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    int n = bench.seq.incrementAndGet();
    Path kubelet = bench.work.resolve("kubelet-" + n);
    bench.api(); // the previous driver's requests
    try (var cg = bench.cgroup(n, c.limits()); PodBench.Driver d = bench.new Driver(c, cg, kubelet, List.of())) {
      r.put("socketFileMs", d.startup.get("socketFileMs"));
      r.put("cpuMsToAnswer", d.startup.get("cpuMsToAnswer"));
      Map<String, Long> atAnswer = ThreadCpu.byGroup(d.pid());
      long[] pub = new long[50];
      for (int i = 0; i < pub.length; i++) {
        PodBench.Volume v = bench.newVolume(d.pods);
        long t = System.nanoTime();
        while (true) {
          try {
            PodBench.publish(d.channel(), v);
            break;
          } catch (StatusRuntimeException e) {
            if (i > 0 || System.nanoTime() - t > 120_000_000_000L) {
              throw e;
            }
            Thread.sleep(100); // kubelet retries a failed first publish
          }
        }
        pub[i] = System.nanoTime() - t;
        if (i == 0) {
          r.put("firstPublishAfterSocketMs", PodBench.ms(System.nanoTime() - d.socketAt));
          r.put("cpuMsAtFirstPublish", PublishBench.cpuMs(d.pid()));
          r.put("threadsSocketToFirstPublishMs", ThreadCpu.minus(ThreadCpu.byGroup(d.pid()), atAnswer));
          if (bench.mock != null) {
            r.put("apiBeforeFirstPublish", ApiRequests.inOrder(bench.mock));
          }
        }
      }
      r.put("publishMs", PodBench.msPercentiles(pub));
      if (census) {
        r.put("censusAfter50Publishes", census(c.runtime(), d.pid()));
        java.util.regex.Matcher up = java.util.regex.Pattern.compile("metrics on /([\\d.]+:\\d+)")
            .matcher(Files.readString(d.log));
        if (up.find()) {
          var http = java.net.http.HttpClient.newHttpClient();
          var scrape = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + up.group(1) + "/metrics"))
              .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
          r.put("scrapeStatus", scrape.statusCode());
          r.put("censusAfterAScrape", census(c.runtime(), d.pid()));
        }
      }
      r.put("loadAvg", Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0]);
    } finally {
      Leftovers.unmountUnder(kubelet);
    }
    return r;
  }

  /** Threads, RSS and loaded classes of the driver; Kamon's classes and threads by name. */
  static Map<String, Object> census(PodBench.Launch rt, long pid) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>(PublishBench.procStatus(pid));
    List<String> classes = PodBench.jcmd(rt, pid, "VM.class_hierarchy").lines()
        .map(l -> l.replaceFirst("^[\\s|-]+", "")).filter(l -> !l.isEmpty()).toList();
    m.put("classes", classes.size());
    m.put("kamonClasses", classes.stream().filter(l -> l.startsWith("kamon.")).count());
    m.put("kamonThreads", java.util.Arrays.stream(PodBench.jcmd(rt, pid, "Thread.print").split("\n"))
        .filter(l -> l.startsWith("\"")).map(l -> l.substring(1, l.indexOf('"', 1)))
        .filter(n -> n.toLowerCase(java.util.Locale.ROOT).contains("kamon") || n.contains("Prometheus Reporter")).toList());
    return m;
  }

  static String summary(Map<String, List<Map<String, Object>>> all, PodBench.Limits limits) {
    StringBuilder s = new StringBuilder("runtime | CPU to GetPluginInfo (ms) | socket -> first publish (ms)"
        + " | CPU socket -> first publish (ms) | cold p50 (ms)   [min / median / max, at " + limits.label() + "]\n");
    all.forEach((name, runs) -> {
      s.append(name);
      for (String key : List.of("cpuMsToAnswer", "firstPublishAfterSocketMs", "cpuSpan", "p50")) {
        List<Double> xs = new ArrayList<>();
        for (Map<String, Object> r : runs) {
          xs.add(switch (key) {
            case "cpuSpan" -> ((Number) r.get("cpuMsAtFirstPublish")).doubleValue()
                - ((Number) r.get("cpuMsToAnswer")).doubleValue();
            case "p50" -> ((Number) ((Map<?, ?>) r.get("publishMs")).get("p50")).doubleValue();
            default -> ((Number) r.get(key)).doubleValue();
          });
        }
        xs.sort(null);
        s.append(String.format(" | %.0f / %.0f / %.0f", xs.get(0), xs.get(xs.size() / 2), xs.get(xs.size() - 1)));
      }
      Map<String, List<Long>> groups = new TreeMap<>();
      for (Map<String, Object> r : runs) {
        ((Map<?, ?>) r.get("threadsSocketToFirstPublishMs")).forEach(
            (g, ms) -> groups.computeIfAbsent((String) g, k -> new ArrayList<>()).add(((Number) ms).longValue()));
      }
      s.append("\n  threads, socket -> first publish, median ms:");
      groups.forEach((g, ms) -> {
        ms.sort(null);
        if (ms.get(ms.size() / 2) >= 20) {
          s.append(' ').append(g).append('=').append(ms.get(ms.size() / 2));
        }
      });
      s.append('\n');
    });
    return s.toString();
  }
}
