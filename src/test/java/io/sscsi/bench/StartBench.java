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
 */
public final class StartBench {
  private StartBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (String arg : args) {
      String s = arg.replaceFirst("^--", "");
      int eq = s.indexOf('=');
      a.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
    }
    a.putIfAbsent("out", a.get("work") + "/start");
    String mode = a.getOrDefault("mode", "local");
    a.put("modes", mode);
    PodBench bench = new PodBench(a);
    Runtime.getRuntime().addShutdownHook(new Thread(bench::cleanup, "start-bench-cleanup"));
    int rounds = Integer.parseInt(a.getOrDefault("rounds", "5"));
    PodBench.Limits limits = new PodBench.Limits("start", Long.parseLong(a.getOrDefault("cpu", "200")),
        Long.parseLong(a.getOrDefault("memory-mi", "256")) << 20);
    List<PodBench.Launch> runtimes = new ArrayList<>();
    bench.configs.stream().map(PodBench.Config::runtime).distinct().forEach(runtimes::add);
    int exit = 0;
    Map<String, List<Map<String, Object>>> all = new LinkedHashMap<>();
    try {
      Files.createDirectories(bench.work.resolve("classes"));
      Files.createDirectories(bench.work.resolve("providers"));
      Files.writeString(bench.work.resolve("classes/small.yaml"), """
          apiVersion: secrets-store.csi.x-k8s.io/v1
          kind: SecretProviderClass
          metadata:
            name: %s
            namespace: %s
          spec:
            provider: zero2
            parameters:
              objects: fixed
          """.formatted(PodBench.CLASS, PodBench.NS));
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
    } catch (Throwable t) {
      t.printStackTrace();
      exit = 1;
    } finally {
      bench.cleanup();
    }
    System.exit(exit);
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
      r.put("loadAvg", Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0]);
    } finally {
      PodBench.unmountUnder(kubelet);
    }
    return r;
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
