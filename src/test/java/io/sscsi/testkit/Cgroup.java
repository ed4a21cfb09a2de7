package io.sscsi.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A cgroup with a container's CPU and memory limits, as kubelet sets them for a pod's container: CPU
 * as a CFS quota per 100 ms period (200m = 20 ms), memory as a hard limit. cgroup v1 when the cpu and
 * memory controllers are mounted as v1 hierarchies (one directory each, created under the cgroup this
 * process is in), else cgroup v2 (one directory under the unified root). {@link #wrap} turns a
 * command into one that enters the cgroup before it execs, so the process is limited from its first
 * instruction. Readings come from the cgroup's own files; {@link #close} kills what is left inside
 * (only processes this benchmark started) and removes the directories.
 */
public final class Cgroup implements AutoCloseable {
  public static final long PERIOD_US = 100_000;

  public final String name;
  public final boolean v2;
  public final Path cpu;
  public final Path memory;

  private Cgroup(String name, boolean v2, Path cpu, Path memory) {
    this.name = name;
    this.v2 = v2;
    this.cpu = cpu;
    this.memory = memory;
  }

  /** Creates the cgroup {@code name} limited to {@code cpuMillis} CPU and {@code memoryBytes}. */
  public static Cgroup create(String name, long cpuMillis, long memoryBytes) throws IOException {
    long quota = cpuMillis * PERIOD_US / 1000;
    Optional<Path> cpuV1 = v1Dir("cpu");
    Optional<Path> memV1 = v1Dir("memory");
    if (cpuV1.isPresent() && memV1.isPresent()) {
      Cgroup g = new Cgroup(name, false, Files.createDirectory(cpuV1.get().resolve(name)),
          Files.createDirectory(memV1.get().resolve(name)));
      Files.writeString(g.cpu.resolve("cpu.cfs_period_us"), "" + PERIOD_US);
      Files.writeString(g.cpu.resolve("cpu.cfs_quota_us"), "" + quota);
      Files.writeString(g.memory.resolve("memory.limit_in_bytes"), "" + memoryBytes);
      return g;
    }
    if (cpuV1.isPresent() || memV1.isPresent()) {
      throw new IOException("cpu and memory controllers are split between cgroup v1 and v2: not supported");
    }
    Path root = mountPoint("cgroup2", null).orElseThrow(() -> new IOException("no cgroup v1 cpu/memory, no cgroup v2"));
    String subtree = Files.readString(root.resolve("cgroup.subtree_control"));
    if (!subtree.contains("cpu") || !subtree.contains("memory")) {
      Files.writeString(root.resolve("cgroup.subtree_control"), "+cpu +memory");
    }
    Path dir = Files.createDirectory(root.resolve(name));
    Cgroup g = new Cgroup(name, true, dir, dir);
    Files.writeString(dir.resolve("cpu.max"), quota + " " + PERIOD_US);
    Files.writeString(dir.resolve("memory.max"), "" + memoryBytes);
    if (Files.exists(dir.resolve("memory.swap.max"))) {
      Files.writeString(dir.resolve("memory.swap.max"), "0");
    }
    return g;
  }

  /** {@code command} run by a shell that first moves itself into this cgroup, then execs it (same pid). */
  public List<String> wrap(List<String> command) {
    StringBuilder script = new StringBuilder();
    for (Path dir : v2 ? List.of(cpu) : List.of(cpu, memory)) {
      script.append("echo $$ > '").append(dir.resolve("cgroup.procs")).append("' && ");
    }
    List<String> c = new ArrayList<>(List.of("/bin/sh", "-c", script + "exec \"$@\"", "sh"));
    c.addAll(command);
    return c;
  }

  public long memoryUsage() throws IOException {
    return number(memory.resolve(v2 ? "memory.current" : "memory.usage_in_bytes"));
  }

  /** The highest usage so far, or -1 where the kernel does not keep it (v2 before 5.19). */
  public long memoryPeak() throws IOException {
    Path f = memory.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes");
    return Files.exists(f) ? number(f) : -1;
  }

  /**
   * rss, cache, shmem and mapped_file in bytes (v2's anon, file, shmem, file_mapped under v1's names), and
   * kernel: the kernel's own memory charged to the cgroup (v1 memory.kmem.usage_in_bytes, v2 kernel), e.g. the
   * inodes, dentries and superblocks of the tmpfs mounts the process made; -1 where not kept.
   */
  public Map<String, Long> memoryStat() throws IOException {
    Map<String, Long> all = keyed(memory.resolve("memory.stat"));
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("rss", all.getOrDefault(v2 ? "anon" : "rss", -1L));
    m.put("cache", all.getOrDefault(v2 ? "file" : "cache", -1L));
    m.put("shmem", all.getOrDefault("shmem", -1L));
    m.put("mapped_file", all.getOrDefault(v2 ? "file_mapped" : "mapped_file", -1L));
    Path kmem = memory.resolve("memory.kmem.usage_in_bytes");
    m.put("kernel", v2 ? all.getOrDefault("kernel", -1L) : Files.exists(kmem) ? number(kmem) : -1L);
    return m;
  }

  /** Times the limit was hit (v1 memory.failcnt, v2 memory.events max). */
  public long limitHits() throws IOException {
    return v2 ? keyed(memory.resolve("memory.events")).getOrDefault("max", 0L) : number(memory.resolve("memory.failcnt"));
  }

  /** Processes the kernel's OOM killer killed in this cgroup. */
  public long oomKills() throws IOException {
    return keyed(memory.resolve(v2 ? "memory.events" : "memory.oom_control")).getOrDefault("oom_kill", 0L);
  }

  /** nr_periods, nr_throttled and throttled time in ms, from cpu.stat. */
  public Map<String, Long> throttling() throws IOException {
    Map<String, Long> all = keyed(cpu.resolve("cpu.stat"));
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("periods", all.getOrDefault("nr_periods", 0L));
    m.put("throttled", all.getOrDefault("nr_throttled", 0L));
    m.put("throttledMs", v2 ? all.getOrDefault("throttled_usec", 0L) / 1000
        : all.getOrDefault("throttled_time", 0L) / 1_000_000);
    return m;
  }

  /** Whether this process may create a limited cgroup here (root, and v1 cpu+memory or v2 mounted). */
  public static boolean available() {
    try {
      return "root".equals(System.getProperty("user.name"))
          && (v1Dir("cpu").isPresent() && v1Dir("memory").isPresent() || mountPoint("cgroup2", null).isPresent());
    } catch (IOException e) {
      return false;
    }
  }

  /** Kills whatever is still inside (processes the caller started there), waits for it to exit, removes the cgroup. */
  @Override
  public void close() throws IOException {
    for (Path dir : v2 ? List.of(cpu) : List.of(memory, cpu)) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      for (long pid : pids(dir)) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent()) {
          p.get().destroyForcibly();
          try {
            p.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new IOException("process " + pid + " in " + dir + " did not exit", e);
          }
        }
      }
      Files.deleteIfExists(dir); // rmdir: the control files are not real files
    }
  }

  static List<Long> pids(Path dir) throws IOException {
    List<Long> l = new ArrayList<>();
    for (String s : Files.readAllLines(dir.resolve("cgroup.procs"))) {
      if (!s.isBlank()) {
        l.add(Long.parseLong(s.trim()));
      }
    }
    return l;
  }


  static long number(Path f) throws IOException {
    String s = Files.readString(f).trim();
    return s.equals("max") ? Long.MAX_VALUE : Long.parseLong(s);
  }

  /** A "key value" per line file (memory.stat, cpu.stat, memory.events, memory.oom_control). */
  static Map<String, Long> keyed(Path f) throws IOException {
    Map<String, Long> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(f)) {
      String[] kv = line.trim().split("\\s+");
      if (kv.length == 2 && kv[1].matches("-?\\d+")) {
        m.put(kv[0], Long.parseLong(kv[1]));
      }
    }
    return m;
  }

  /** The directory of this process's own cgroup in the v1 hierarchy of {@code controller}, if mounted. */
  static Optional<Path> v1Dir(String controller) throws IOException {
    Optional<Path> mount = mountPoint("cgroup", controller);
    if (mount.isEmpty()) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      String[] f = line.split(":", 3);
      if (f.length == 3 && List.of(f[1].split(",")).contains(controller)) {
        String own = f[2].replaceFirst("^/", "");
        Path dir = mount.get().resolve(own);
        return Optional.of(Files.isDirectory(dir) ? dir : mount.get());
      }
    }
    return mount;
  }

  /** Where a file system of {@code type} is mounted (for v1: the one carrying {@code option}). */
  static Optional<Path> mountPoint(String type, String option) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      int dash = line.indexOf(" - ");
      String[] left = line.substring(0, dash).split(" ");
      String[] right = line.substring(dash + 3).split(" ");
      if (right[0].equals(type) && (option == null || List.of(right[2].split(",")).contains(option))) {
        return Optional.of(Path.of(left[4]));
      }
    }
    return Optional.empty();
  }
}
