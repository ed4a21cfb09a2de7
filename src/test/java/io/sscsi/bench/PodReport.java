package io.sscsi.bench;

import static io.sscsi.bench.Report.map;
import static io.sscsi.bench.Report.num;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns {@link PodBench}'s results into one markdown table: a row per figure, its target from issue
 * 10 beside it, a column per configuration (runtime, limits, mode); a targeted figure is marked ✓
 * (met) or ✗ (missed). Then the API requests (cluster mode) and the idle rotation windows.
 */
final class PodReport {
  private PodReport() {}

  /** A row: its label, its target text, and how to get (and judge) a cell from one configuration's results. */
  record Row(String label, String target, Function<Map<String, Object>, String> cell) {}

  static final double MIB = 1024 * 1024;

  static String markdown(Map<String, Object> r) {
    StringBuilder s = new StringBuilder();
    Map<String, Object> m = map(r, "machine");
    if (m != null) {
      s.append("Machine: ").append(m.get("nproc")).append(" CPUs (").append(m.get("cpu")).append("), ")
          .append(m.get("memTotal")).append(", ").append(m.get("kernel")).append("; bench JVM ").append(m.get("java"))
          .append("; load average at start ").append(m.get("loadAvgStart")).append(", at end ")
          .append(r.get("loadAvgEnd")).append(r.get("quick") == Boolean.TRUE ? "; `--quick`" : "").append("\n\n");
    }
    Map<String, Object> rts = map(r, "runtimes");
    if (rts != null) {
      rts.forEach((name, prefix) -> s.append("- `").append(name).append("`: `").append(prefix).append("`\n"));
    }
    s.append("- DaemonSet driver args (paths, node id and ports replaced): `").append(r.get("daemonSetArgs")).append("`\n\n");

    floorTable(s, map(r, "floors"));
    Map<String, Object> configs = map(r, "configs");
    if (configs == null || configs.isEmpty()) {
      return s.toString();
    }
    List<String> keys = new ArrayList<>(configs.keySet());
    s.append("| figure | target |");
    keys.forEach(k -> s.append(" ").append(k.replace(" ", " · ")).append(" (").append(map(configs, k).get("limits"))
        .append(") |"));
    s.append("\n|---|---|");
    keys.forEach(k -> s.append("---|"));
    s.append("\n");
    for (Row row : rows()) {
      s.append("| ").append(row.label()).append(" | ").append(row.target()).append(" |");
      for (String k : keys) {
        String cell;
        try {
          cell = row.cell().apply(map(configs, k));
        } catch (RuntimeException e) {
          cell = "-";
        }
        s.append(" ").append(cell).append(" |");
      }
      s.append("\n");
    }
    for (String k : keys) {
      Object error = map(configs, k).get("error");
      if (error != null) {
        s.append("\n**").append(k).append(" failed** in ").append(error).append("\n");
      }
    }
    apiTable(s, configs, keys);
    rotationTable(s, map(r, "rotation"));
    return s.toString();
  }

  /** Renders a results file again: {@code PodReport <ts>-pod.json} writes {@code <ts>-pod.md} beside it. */
  public static void main(String[] args) throws Exception {
    java.nio.file.Path json = java.nio.file.Path.of(args[0]);
    @SuppressWarnings("unchecked")
    Map<String, Object> r = PublishBench.JSON.readValue(java.nio.file.Files.readString(json), Map.class);
    java.nio.file.Files.writeString(json.resolveSibling(json.getFileName().toString().replaceFirst("\\.json$", ".md")),
        markdown(r));
  }

  /** The start floor's runs (FloorServer, same runtime, flags and limits as the driver). */
  static void floorTable(StringBuilder s, Map<String, Object> floors) {
    if (floors == null || floors.isEmpty()) {
      return;
    }
    s.append("Start floor (bench FloorServer: grpc-java epoll unix socket, GetPluginInfo only, same runtime and flags):\n\n")
        .append("| floor run | limits | CPU to answer (ms) | start → answered (ms) | idle RSS (MiB) | threads | load average |\n")
        .append("|---|---|---|---|---|---|---|\n");
    floors.forEach((k, v) -> {
      @SuppressWarnings("unchecked")
      Map<String, Object> c = (Map<String, Object>) v;
      s.append("| ").append(k).append(" | ").append(c.get("limits")).append(" | ").append(f(num(c, "cpuMsToAnswer")))
          .append(" | ").append(f(num(c, "getPluginInfoAnsweredMs"))).append(" | ")
          .append(f(num(c, "proc", "VmRSS") / 1024)).append(" | ").append(f(num(c, "proc", "Threads"))).append(" | ")
          .append(c.get("loadAvg")).append(" |\n");
    });
    s.append("\n");
  }

  static List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    rows.add(new Row("process start → socket file (ms)", "–", c -> f(num(c, "startup", "socketFileMs"))));
    rows.add(new Row("process start → GetPluginInfo answered (ms)", "≤ 1,000",
        c -> judged(num(c, "startup", "getPluginInfoAnsweredMs"), 1000)));
    rows.add(new Row("GetPluginInfo after the socket file: slowest call (ms), calls over 1 s, failed calls",
        "none over 1 s", c -> {
          double over = num(c, "startup", "getPluginInfoOver1s");
          Object failures = map(c, "startup").get("getPluginInfoFailures");
          int failed = failures instanceof List<?> l ? l.size() : 0;
          return f(num(c, "startup", "getPluginInfoSlowestMs")) + ", " + i(over) + ", " + failed + markIf(over, 0);
        }));
    rows.add(new Row("driver CPU, start → GetPluginInfo answered (ms)", "≤ 600",
        c -> judged(num(c, "startup", "cpuMsToAnswer"), 600)));
    rows.add(new Row("load average when GetPluginInfo answered (1/5/15 min)", "–",
        c -> String.join(" / ", String.valueOf(map(c, "startup").get("loadAvg")).split(" ")).replaceAll(" / [0-9]+/.*", "")));
    rows.add(new Row("CPU periods throttled, start → GetPluginInfo", "–",
        c -> i(num(c, "startup", "throttledPeriodsToAnswer"))));
    rows.add(new Row("first NodePublishVolume: done after the socket file (call itself; failed tries) (ms)",
        "≤ 1,500 after socket", c -> {
          Object failures = map(c, "startup").get("firstPublishFailures");
          return judged(num(c, "startup", "firstPublishDoneAfterSocketMs"), 1500) + " ("
              + f(num(c, "startup", "firstPublishMs")) + "; " + (failures instanceof List<?> l ? l.size() : "-") + ")";
        }));
    rows.add(new Row("first 50 publishes, one by one: p50 / p90 / max (ms)", "p50 ≤ 50",
        c -> f(num(c, "cold", "publishMs", "p50")) + " / " + f(num(c, "cold", "publishMs", "p90")) + " / "
            + f(num(c, "cold", "publishMs", "max")) + markIf(num(c, "cold", "publishMs", "p50"), 50)));
    rows.add(new Row("warm publish, c=1: p50 / p99 (ms)", "–",
        c -> f(num(c, "warm", "c1", "publishMs", "p50")) + " / " + f(num(c, "warm", "c1", "publishMs", "p99"))));
    rows.add(new Row("warm publish, c=8: p50 / p99 (ms)", "–",
        c -> f(num(c, "warm", "c8", "publishMs", "p50")) + " / " + f(num(c, "warm", "c8", "publishMs", "p99"))));
    rows.add(new Row("warm cycles/s at c=8; driver CPU per publish+unpublish cycle (ms)", "–",
        c -> f(num(c, "warm", "c8", "cyclesPerSec")) + "; " + f(num(c, "warm", "c8", "driverCpuMsPerCycle"))));
    rows.add(new Row("after warm-up (c=1 and c=8 phases): memory limit hits; major faults", "≈ 0",
        c -> i(num(c, "warm", "limitHitsAfterWarmUp")) + "; " + i(num(c, "warm", "majorFaultsAfterWarmUp"))));
    for (String level : List.of("0", "40", "250", "1000", "10000")) {
      String target = level.equals("0") ? "≤ 96" : level.equals("250") ? "≤ 110" : level.equals("10000") ? "≤ 160" : "–";
      double bound = level.equals("0") ? 96 : level.equals("250") ? 110 : level.equals("10000") ? 160 : Double.NaN;
      rows.add(new Row("RSS at " + String.format("%,d", Integer.parseInt(level)) + " volumes (MiB)", target, c -> {
        double rss = num(c, "memory", level, "proc", "VmRSS") / 1024;
        return Double.isNaN(bound) ? f(rss) : judged(rss, bound);
      }));
      rows.add(new Row("memory cgroup at " + String.format("%,d", Integer.parseInt(level))
          + " volumes: usage; rss / cache / shmem (MiB)", "–", c -> {
            double usage = num(c, "memory", level, "cgroupUsage") / MIB;
            double rss = num(c, "memory", level, "cgroupStat", "rss") / MIB;
            double cache = num(c, "memory", level, "cgroupStat", "cache") / MIB;
            double shmem = num(c, "memory", level, "cgroupStat", "shmem") / MIB;
            return Double.isNaN(usage) ? "-" : f(usage) + "; " + f(rss) + " / " + f(cache) + " / " + f(shmem);
          }));
    }
    rows.add(new Row("RSS at 250 volumes: anon / file (MiB)", "–",
        c -> f(num(c, "memory", "250", "proc", "RssAnon") / 1024) + " / " + f(num(c, "memory", "250", "proc", "RssFile") / 1024)));
    rows.add(new Row("heap used / committed; metaspace used / committed at 250 volumes (MiB)", "–",
        c -> f(num(c, "memory", "250", "heap", "heapUsedKiB") / 1024) + " / "
            + f(num(c, "memory", "250", "heap", "heapCommittedKiB") / 1024) + "; "
            + f(num(c, "memory", "250", "heap", "metaspaceUsedKiB") / 1024) + " / "
            + f(num(c, "memory", "250", "heap", "metaspaceCommittedKiB") / 1024)));
    rows.add(new Row("JVM's view of the cgroup: max heap (MiB), CPUs", "–",
        c -> f(num(c, "jvm", "maxHeapMiB")) + ", " + map(c, "jvm").getOrDefault("active_processor_count", "?")));
    rows.add(new Row("idle CPU, 250 volumes, rotation off (mCPU)", "≤ 5", c -> judged(num(c, "idle", "mCpu"), 5)));
    rows.add(new Row("OOM kills; memory limit hits; peak cgroup usage (MiB)", "never OOM-killed", c -> {
      double kills = num(c, "oom", "oomKills");
      boolean died = Boolean.FALSE.equals(map(c, "oom").get("alive"));
      return i(kills) + "; " + i(num(c, "oom", "limitHits")) + "; " + f(num(c, "oom", "peakBytes") / MIB)
          + (died ? "; died (exit " + map(c, "oom").get("exit") + ")" : "") + mark(kills == 0 && !died);
    }));
    return rows;
  }

  static void apiTable(StringBuilder s, Map<String, Object> configs, List<String> keys) {
    boolean any = false;
    for (String k : keys) {
      Map<String, Object> c = map(configs, k);
      if (!"cluster".equals(c.get("mode"))) {
        continue;
      }
      if (!any) {
        s.append("\nAPI requests to the mock API server, by phase (cluster mode):\n\n| configuration | phase | requests | by verb and path |\n|---|---|---|---|\n");
        any = true;
      }
      for (String key : c.keySet()) {
        Map<String, Object> counts = key.startsWith("api:") ? map(c, key) : null;
        if (counts != null) {
          String phase = key.substring(4);
          int total = counts.values().stream().mapToInt(v -> ((Number) v).intValue()).sum();
          s.append("| ").append(k).append(" | ").append(phase).append(" | ").append(total).append(" | ")
              .append(counts.toString().replace("|", "\\|")).append(" |\n");
        }
      }
    }
  }

  static void rotationTable(StringBuilder s, Map<String, Object> rot) {
    if (rot == null) {
      return;
    }
    s.append("\nIdle rotation, cluster mode (").append(rot.get("config")).append(", ").append(rot.get("volumes"))
        .append(" volumes, rotation-poll-interval ").append(rot.get("intervalSeconds")).append(" s)");
    if (rot.get("error") != null) {
      s.append(": failed: ").append(rot.get("error")).append("\n");
      return;
    }
    s.append(":\n\n| window | API requests | by verb and path | provider calls | driver CPU ms |\n|---|---|---|---|---|\n");
    Object ws = rot.get("windows");
    if (ws instanceof List<?> windows) {
      for (int i = 0; i < windows.size(); i++) {
        Map<?, ?> w = (Map<?, ?>) windows.get(i);
        s.append("| ").append(i + 1).append(" | ").append(w.get("apiRequests")).append(" | ")
            .append(String.valueOf(w.get("apiByPath")).replace("|", "\\|")).append(" | ")
            .append(((Map<?, ?>) w.get("provider")).get("calls")).append(" | ").append(w.get("driverCpuMs")).append(" |\n");
      }
    }
  }

  static String judged(double v, double bound) {
    return Double.isNaN(v) ? "-" : f(v) + mark(v <= bound);
  }

  /** ✓ when v ≤ bound, ✗ when above, nothing when there is no figure. */
  static String markIf(double v, double bound) {
    return Double.isNaN(v) ? "" : mark(v <= bound);
  }

  static String mark(boolean met) {
    return met ? " ✓" : " ✗";
  }

  static String i(double v) {
    return Double.isNaN(v) ? "-" : String.format("%,.0f", v);
  }

  static String f(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return v >= 100 ? String.format("%,.0f", v) : String.format("%.1f", v);
  }
}
