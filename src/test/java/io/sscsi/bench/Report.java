package io.sscsi.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns {@link PublishBench}'s results into the markdown tables BENCHMARKS.md quotes. */
final class Report {
  private Report() {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o, String... path) {
    Object cur = o;
    for (String p : path) {
      if (!(cur instanceof Map)) {
        return null;
      }
      cur = ((Map<String, Object>) cur).get(p);
    }
    return cur instanceof Map ? (Map<String, Object>) cur : null;
  }

  static double num(Object o, String... path) {
    Object cur = o;
    for (String p : path) {
      if (!(cur instanceof Map)) {
        return Double.NaN;
      }
      cur = ((Map<?, ?>) cur).get(p);
    }
    return cur instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  static String f(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return v >= 100 ? String.format("%.0f", v) : String.format("%.1f", v);
  }

  static String ratio(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format("%.1f×", a / b);
  }

  static String mib(double kib) {
    return Double.isNaN(kib) ? "-" : String.format("%.1f", kib / 1024);
  }

  static String markdown(Map<String, Object> r) {
    StringBuilder s = new StringBuilder();
    Map<String, Object> m = map(r, "machine");
    if (m != null) {
      s.append("Machine: ").append(m.get("nproc")).append(" CPUs (").append(m.get("cpu")).append("), ")
          .append(m.get("memTotal")).append(", ").append(m.get("kernel")).append(", ").append(m.get("java"))
          .append("; load average at start ").append(m.get("loadAvgStart")).append(", at end ")
          .append(r.get("loadAvgEnd")).append("\n");
    }
    s.append("Driver JVM: ").append(map(r, "mainJvm")).append("\n\n");

    Map<String, Object> lat = map(r, "latency");
    Map<String, Object> floor = map(r, "floor");
    if (lat != null) {
      s.append("### Publish / unpublish through the CSI socket (µs), zero-latency provider\n\n");
      s.append("| payload / concurrency | publish p50 | p99 | max | floor p50 | p50 ÷ floor | unpublish p50 | p99 | max "
          + "| floor p50 | ÷ floor | cycles/s | floor cycles/s | ÷ floor | CPU ms/cycle driver / provider / kubelet side |\n");
      s.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (String k : lat.keySet()) {
        if (map(lat, k) == null || !k.contains("/c")) {
          continue;
        }
        Object l = lat.get(k);
        Object fl = floor == null ? null : floor.get(k);
        s.append("| ").append(k)
            .append(" | ").append(f(num(l, "publishUs", "p50")))
            .append(" | ").append(f(num(l, "publishUs", "p99")))
            .append(" | ").append(f(num(l, "publishUs", "max")))
            .append(" | ").append(f(num(fl, "publishUs", "p50")))
            .append(" | ").append(ratio(num(l, "publishUs", "p50"), num(fl, "publishUs", "p50")))
            .append(" | ").append(f(num(l, "unpublishUs", "p50")))
            .append(" | ").append(f(num(l, "unpublishUs", "p99")))
            .append(" | ").append(f(num(l, "unpublishUs", "max")))
            .append(" | ").append(f(num(fl, "unpublishUs", "p50")))
            .append(" | ").append(ratio(num(l, "unpublishUs", "p50"), num(fl, "unpublishUs", "p50")))
            .append(" | ").append(f(num(l, "cyclesPerSec")))
            .append(" | ").append(f(num(fl, "cyclesPerSec")))
            .append(" | ").append(ratio(num(l, "cyclesPerSec"), num(fl, "cyclesPerSec")))
            .append(" | ").append(String.format("%.2f / %.2f / %.2f", num(l, "driverCpuMsPerCycle"),
                num(l, "providerCpuMsPerCycle"), num(l, "kubeletSideCpuMsPerCycle")))
            .append(" |\n");
      }
      s.append("\n");
    }

    Map<String, Object> mem = map(r, "memory");
    if (mem != null) {
      s.append("### Memory of the driver process with N mounted volumes (MiB, /proc/<pid>/status and jcmd GC.heap_info)\n\n");
      s.append("| volumes | RSS | RssAnon | RssFile | heap used | heap committed | live heap after full GC | metaspace | threads "
          + "| RSS Δ per volume since previous (KiB) | publish time (s) |\n");
      s.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
      double prevRss = Double.NaN;
      double prevN = Double.NaN;
      for (String k : mem.keySet()) {
        if (map(mem, k) == null) {
          continue;
        }
        Object e = mem.get(k);
        double rss = num(e, "status", "VmRSS");
        double n = Double.parseDouble(k);
        s.append("| ").append(k)
            .append(" | ").append(mib(rss))
            .append(" | ").append(mib(num(e, "status", "RssAnon")))
            .append(" | ").append(mib(num(e, "status", "RssFile")))
            .append(" | ").append(mib(num(e, "heap", "heapUsedKiB")))
            .append(" | ").append(mib(num(e, "heap", "heapCommittedKiB")))
            .append(" | ").append(mib(num(e, "heapAfterFullGc", "heapUsedKiB")))
            .append(" | ").append(mib(num(e, "heap", "metaspaceUsedKiB")))
            .append(" | ").append(f(num(e, "status", "Threads")))
            .append(" | ").append(Double.isNaN(prevRss) ? "-" : f((rss - prevRss) / (n - prevN)))
            .append(" | ").append(f(num(e, "publishSeconds")))
            .append(" |\n");
        prevRss = rss;
        prevN = n;
      }
      s.append("\nUnpublishing all ").append(mem.get("unpublishAllCount")).append(" took ")
          .append(mem.get("unpublishAllSeconds")).append(" s; idle CPU with 250 volumes, rotation off: ")
          .append(mem.get("idleCpuMsPer10sAt250RotationOff")).append(" ms per 10 s.\n\n");
    }

    Map<String, Object> st = map(r, "startup");
    if (st != null) {
      s.append("### Startup\n\nProcess start to GetPluginInfo answering on the socket: median ")
          .append(st.get("readyMsMedian")).append(" ms of ").append(st.get("runs")).append(" runs ")
          .append(st.get("readyMs")).append("; socket file present at median ").append(st.get("socketFileMsMedian"))
          .append(" ms.\n\n");
    }

    Map<String, Object> rot = map(r, "rotation");
    if (rot != null) {
      s.append("### Idle rotation: ").append(rot.get("volumes")).append(" volumes, unchanged content, interval ")
          .append(rot.get("intervalSeconds")).append(" s\n\n| window | driver CPU ms | provider calls | volumes called "
              + "| max calls per volume | API requests |\n|---|---|---|---|---|---|\n");
      int i = 0;
      for (Object w : (List<?>) rot.get("windows")) {
        s.append("| ").append(++i).append(" | ").append(f(num(w, "cpuMs")))
            .append(" | ").append(f(num(w, "provider", "calls")))
            .append(" | ").append(f(num(w, "provider", "volumes")))
            .append(" | ").append(f(num(w, "provider", "maxPerVolume")))
            .append(" | 0 (local mode) |\n");
      }
      s.append("\n");
    }

    Map<String, Object> jvm = map(r, "jvm");
    if (jvm != null) {
      s.append("### JVM flag sets\n\n| flags | startup median ms | RSS idle MiB | RSS 250 vols MiB | live heap 250 MiB "
          + "| 2 files c8 publish p50 µs | p99 µs | 20×4KiB c32 cycles/s | driver CPU ms/cycle |\n|---|---|---|---|---|---|---|---|---|\n");
      List<String> notes = new ArrayList<>();
      for (String k : jvm.keySet()) {
        Object j = jvm.get(k);
        s.append("| ").append(k)
            .append(" | ").append(f(num(j, "startup", "readyMsMedian")))
            .append(" | ").append(mib(num(j, "rss0KiB")))
            .append(" | ").append(mib(num(j, "at250", "status", "VmRSS")))
            .append(" | ").append(mib(num(j, "at250", "heapAfterFullGc", "heapUsedKiB")))
            .append(" | ").append(f(num(j, "small/c8", "publishUs", "p50")))
            .append(" | ").append(f(num(j, "small/c8", "publishUs", "p99")))
            .append(" | ").append(f(num(j, "big/c32", "cyclesPerSec")))
            .append(" | ").append(f(num(j, "big/c32", "driverCpuMsPerCycle")))
            .append(" |\n");
        notes.add("- " + k + ": `" + String.join(" ", (List<String>) ((Map<?, ?>) j).get("flags")) + "`");
      }
      s.append("\n").append(String.join("\n", notes)).append("\n");
    }
    return s.toString();
  }
}
