package io.sscsi.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of a process's threads by thread group, from {@code /proc/<pid>/task/<tid>/stat}: a thread's
 * name ({@code comm}, 15 characters as the JVM sets it) with its trailing digits and separators removed
 * ({@code sscsi-core-dispatcher-7} and {@code sscsi-blocking-io-5} each count as one group), and the
 * machine's busy time from {@code /proc/stat}, so a run can state how much CPU others used meanwhile.
 * Threads that ended between two snapshots are lost from the difference: the bench's driver keeps its
 * threads (pools), so this is small.
 */
final class ThreadCpu {
  private ThreadCpu() {}

  /** Milliseconds of user and of system CPU per thread group of {@code pid} ({@code <group> user}, {@code <group> sys}), now. */
  static Map<String, Long> byGroup(long pid) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (NoSuchFileException e) {
          continue; // the thread ended
        }
        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        String g = group(comm);
        out.merge(g + " user", Long.parseLong(f[11]) * 10, Long::sum); // USER_HZ 100
        out.merge(g + " sys", Long.parseLong(f[12]) * 10, Long::sum);
      }
    }
    return out;
  }

  /**
   * Context switches per thread group of {@code pid} ({@code <group> vol}: the thread blocked, so each is
   * one later wake-up; {@code <group> invol}: it was preempted), from {@code /proc/<pid>/task/<tid>/status}.
   */
  static Map<String, Long> switchesByGroup(long pid) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks) {
        List<String> status;
        try {
          status = Files.readAllLines(task.resolve("status"));
        } catch (NoSuchFileException e) {
          continue; // the thread ended
        }
        String g = null;
        for (String line : status) {
          if (line.startsWith("Name:")) {
            g = group(line.substring(5).trim());
          } else if (g != null && line.startsWith("voluntary_ctxt_switches:")) {
            out.merge(g + " vol", Long.parseLong(line.substring(24).trim()), Long::sum);
          } else if (g != null && line.startsWith("nonvoluntary_ctxt_switches:")) {
            out.merge(g + " invol", Long.parseLong(line.substring(27).trim()), Long::sum);
          }
        }
      }
    }
    return out;
  }

  /** The sum of the entries of {@code groups} whose key ends with {@code suffix}. */
  static long total(Map<String, Long> groups, String suffix) {
    return groups.entrySet().stream().filter(e -> e.getKey().endsWith(suffix)).mapToLong(Map.Entry::getValue).sum();
  }

  static String group(String comm) {
    String g = comm.replaceAll("[-#_ .0-9]+$", "");
    return g.isEmpty() ? comm : g;
  }

  /** {@code after - before} per group, groups with nothing left out. */
  static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
    Map<String, Long> d = new TreeMap<>();
    after.forEach((k, v) -> {
      long x = v - before.getOrDefault(k, 0L);
      if (x > 0) {
        d.put(k, x);
      }
    });
    return d;
  }

  /** The machine's busy CPU in milliseconds (every CPU's user, nice, system, irq, softirq, steal). */
  static long machineBusyMs() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
    String[] f = lines.get(0).trim().split("\\s+"); // cpu user nice system idle iowait irq softirq steal
    long busy = 0;
    for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
      busy += Long.parseLong(f[i]);
    }
    return busy * 10;
  }
}
