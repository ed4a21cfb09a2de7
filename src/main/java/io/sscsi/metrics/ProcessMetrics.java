package io.sscsi.metrics;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The process and JVM metrics every Prometheus client library exposes, read at scrape time: the
 * {@code process_*} family from {@code /proc/self} as Go's client (upstream's) reads it, and the
 * {@code jvm_*} family from the JMX beans under the names and labels of the Prometheus Java client
 * ({@code prometheus-metrics-instrumentation-jvm}), so its dashboards work. No library: Kamon's
 * system-metrics module would bring OSHI and report under its own names. Nothing is read before the
 * first scrape, so the driver's startup does not pay for it.
 */
final class ProcessMetrics {
  /** Linux's USER_HZ: /proc reports CPU times in these ticks on every architecture. */
  private static final double TICKS_PER_SECOND = 100;
  private static final Path PROC = Path.of("/proc");

  private ProcessMetrics() {}

  static String render() {
    Exposition.Text t = new Exposition.Text();
    process(t, PROC);
    jvm(t);
    return t.toString();
  }

  /** The {@code process_*} metrics of the process whose /proc directory is {@code proc/self}. */
  static void process(Exposition.Text t, Path proc) {
    try {
      String stat = Files.readString(proc.resolve("self/stat"));
      // fields after the command name, which may hold spaces and parentheses: state is field 3
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
      double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND; // utime, stime
      long startTicks = Long.parseLong(f[19]); // starttime, ticks after boot
      t.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
          .sample("process_cpu_seconds_total", cpu);
      t.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
          .sample("process_start_time_seconds", bootTime(proc) + startTicks / TICKS_PER_SECOND);
      long rss = 0;
      long vsize = 0;
      for (String line : Files.readAllLines(proc.resolve("self/status"))) {
        if (line.startsWith("VmRSS:")) {
          rss = kib(line);
        } else if (line.startsWith("VmSize:")) {
          vsize = kib(line);
        }
      }
      t.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
          .sample("process_resident_memory_bytes", rss);
      t.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
          .sample("process_virtual_memory_bytes", vsize);
      try (Stream<Path> fds = Files.list(proc.resolve("self/fd"))) {
        t.family("process_open_fds", "gauge", "Number of open file descriptors.")
            .sample("process_open_fds", fds.count());
      }
      for (String line : Files.readAllLines(proc.resolve("self/limits"))) {
        if (line.startsWith("Max open files")) {
          String soft = line.substring("Max open files".length()).trim().split(" +")[0];
          t.family("process_max_fds", "gauge", "Maximum number of open file descriptors.")
              .sample("process_max_fds", soft.equals("unlimited") ? Double.POSITIVE_INFINITY : Double.parseDouble(soft));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc unreadable: the process metrics are left out, the scrape still works
    }
  }

  private static volatile long bootTime = -1;

  /** The boot time from {@code /proc/stat}: constant, and that file is slow to read, so read once. */
  private static long bootTime(Path proc) throws IOException {
    if (bootTime < 0) {
      for (String line : Files.readAllLines(proc.resolve("stat"))) {
        if (line.startsWith("btime ")) {
          bootTime = Long.parseLong(line.substring(6).trim());
        }
      }
    }
    return bootTime;
  }

  private static long kib(String statusLine) {
    return Long.parseLong(statusLine.replaceAll("[^0-9]", "")) * 1024;
  }

  static void jvm(Exposition.Text t) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    MemoryUsage heap = memory.getHeapMemoryUsage();
    MemoryUsage nonHeap = memory.getNonHeapMemoryUsage();
    t.family("jvm_memory_used_bytes", "gauge", "Bytes in use in a JVM memory area (heap or nonheap).")
        .sample("jvm_memory_used_bytes", heap.getUsed(), "area", "heap")
        .sample("jvm_memory_used_bytes", nonHeap.getUsed(), "area", "nonheap");
    t.family("jvm_memory_committed_bytes", "gauge", "Bytes committed by the JVM for a memory area (heap or nonheap).")
        .sample("jvm_memory_committed_bytes", heap.getCommitted(), "area", "heap")
        .sample("jvm_memory_committed_bytes", nonHeap.getCommitted(), "area", "nonheap");
    t.family("jvm_memory_max_bytes", "gauge", "Largest size in bytes a JVM memory area may grow to; -1 when unbounded.")
        .sample("jvm_memory_max_bytes", heap.getMax(), "area", "heap")
        .sample("jvm_memory_max_bytes", nonHeap.getMax(), "area", "nonheap");
    t.family("jvm_memory_pool_used_bytes", "gauge", "Bytes in use in a JVM memory pool.");
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      t.sample("jvm_memory_pool_used_bytes", pool.getUsage().getUsed(), "pool", pool.getName());
    }
    t.family("jvm_memory_pool_committed_bytes", "gauge", "Bytes committed by the JVM for a memory pool.");
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      t.sample("jvm_memory_pool_committed_bytes", pool.getUsage().getCommitted(), "pool", pool.getName());
    }
    t.family("jvm_buffer_pool_used_bytes", "gauge", "Bytes in use in a JVM buffer pool (direct or mapped).");
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      t.sample("jvm_buffer_pool_used_bytes", pool.getMemoryUsed(), "pool", pool.getName());
    }
    t.family("jvm_gc_collection_seconds", "summary", "Collections run by a JVM garbage collector and the seconds they took.");
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      t.sample("jvm_gc_collection_seconds_count", Math.max(0, gc.getCollectionCount()), "gc", gc.getName());
      t.sample("jvm_gc_collection_seconds_sum", Math.max(0, gc.getCollectionTime()) / 1000.0, "gc", gc.getName());
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    t.family("jvm_threads_current", "gauge", "Live JVM threads, daemon threads included.")
        .sample("jvm_threads_current", threads.getThreadCount());
    t.family("jvm_threads_daemon", "gauge", "Live JVM daemon threads.")
        .sample("jvm_threads_daemon", threads.getDaemonThreadCount());
    t.family("jvm_threads_peak", "gauge", "Most live JVM threads at any time since start.")
        .sample("jvm_threads_peak", threads.getPeakThreadCount());
    t.family("jvm_threads_started_total", "counter", "JVM threads started since start.")
        .sample("jvm_threads_started_total", threads.getTotalStartedThreadCount());
    ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
    t.family("jvm_classes_currently_loaded", "gauge", "Classes loaded in the JVM now.")
        .sample("jvm_classes_currently_loaded", classes.getLoadedClassCount());
    t.family("jvm_classes_loaded_total", "counter",
            "Classes loaded since the JVM started.")
        .sample("jvm_classes_loaded_total", classes.getTotalLoadedClassCount());
    t.family("jvm_classes_unloaded_total", "counter",
            "Classes unloaded since the JVM started.")
        .sample("jvm_classes_unloaded_total", classes.getUnloadedClassCount());
    t.family("jvm_runtime_info", "gauge", "The JVM runtime: name, vendor and version as labels; always 1.")
        .sample("jvm_runtime_info", 1, "runtime", System.getProperty("java.runtime.name", ""),
            "vendor", System.getProperty("java.vm.vendor", ""),
            "version", System.getProperty("java.runtime.version", ""));
  }
}
