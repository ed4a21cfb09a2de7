package io.sscsi.soak;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Status;
import io.sscsi.csi.v1.NodePublishVolumeRequest;
import io.sscsi.testkit.*;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Soak: {@code soak.cycles} publish/unpublish cycles (default 10,000) spread over {@code
 * soak.concurrency} volumes (default 50) published concurrently, one worker per volume, against the
 * real in-process driver (CSI unix socket, provider socket, tmpfs, mock API server). Afterwards no
 * mount and no volume actor may remain, and threads, open file descriptors and heap (after GC)
 * must be back near the values measured after a warm-up. Not part of the default run: {@code mvn
 * -B -Psoak test} (bench/SOAK.md).
 */
@EnableKubernetesMockClient(crud = true)
class PublishSoakTest {
  static final int THREAD_SLACK = 10;
  static final int FD_SLACK = 20;
  static final double HEAP_GROWTH = 0.10;
  static final long HEAP_SLACK = 16L << 20;

  static KubernetesClient client;
  static KubernetesMockServer server;

  record Sample(int threads, long fds, long heapUsed, Map<String, Integer> threadGroups) {
    @Override
    public String toString() {
      return "threads=" + threads + " fds=" + fds + " heapMiB=" + String.format("%.1f", heapUsed / 1048576.0);
    }
  }

  @Test
  void publishUnpublishCyclesLeakNothing() throws Exception {
    int cycles = Integer.getInteger("soak.cycles", 10_000);
    int concurrency = Integer.getInteger("soak.concurrency", 50);
    assertTrue(cycles >= concurrency && concurrency > 0, "soak.cycles >= soak.concurrency > 0");
    ExecutorService workers = Executors.newFixedThreadPool(concurrency);
    try (DriverHarness driver = DriverHarness.start(client);
        TestProvider provider = driver.provider("soak");
        CsiClient csi = driver.client()) {
      provider.answerNow(TestProvider.files(Map.of("a", "1", "dir/b", "2")));
      new Cluster(client).secretProviderClass("ns", "spc", "soak", Map.of("objects", "x"));

      Result warmUp = run(driver, csi, workers, concurrency, Math.max(concurrency * 4, cycles / 20));
      assertEquals(List.of(), warmUp.failures(), "warm-up failures");
      settle(driver, provider);
      Sample base = sample();

      Result soak = run(driver, csi, workers, concurrency, cycles);
      settle(driver, provider);
      // Elastic pools (grpc-java's default executor, the test provider's) grow with the peak
      // concurrency and keep idle threads 60 s: allow them that long to give back a burst.
      Sample after = awaitSample(Duration.ofSeconds(75),
          s -> s.threads() <= base.threads() + THREAD_SLACK && s.fds() <= base.fds() + FD_SLACK
              && s.heapUsed() <= heapLimit(base));

      System.out.printf("SOAK cycles=%d concurrency=%d seconds=%.1f cycles/s=%.1f cycle-ms p50=%.1f p99=%.1f max=%.1f"
              + " failures=%d mounts=%d actors=%d | after warm-up: %s | after soak: %s%n",
          soak.cycles(), concurrency, soak.seconds(), soak.cycles() / soak.seconds(),
          soak.percentileMs(0.50), soak.percentileMs(0.99), soak.percentileMs(1.0),
          soak.failures().size(), driver.mounts().size(), driver.volumeActors(), base, after);
      if (after.threads() != base.threads()) {
        System.out.println("SOAK thread groups that changed: " + changedGroups(base, after));
      }

      assertEquals(List.of(), soak.failures().stream().limit(10).toList(), "failed calls");
      assertEquals(cycles, soak.cycles());
      assertEquals(List.of(), driver.mounts(), "leaked mounts under " + driver.root);
      assertEquals(0, driver.volumeActors(), "volume actors left");
      assertTrue(after.threads() <= base.threads() + THREAD_SLACK,
          "threads " + base + " -> " + after + ", changed: " + changedGroups(base, after));
      assertTrue(after.fds() <= base.fds() + FD_SLACK, "open file descriptors " + base + " -> " + after);
      assertTrue(after.heapUsed() <= heapLimit(base), "heap after GC " + base + " -> " + after);
      try (Stream<Path> left = Files.list(driver.root.resolve("pods"))) {
        assertEquals(0, left.filter(p -> Files.exists(p.resolve("volumes/kubernetes.io~csi/v/mount"))).count(),
            "no target directory left");
      }
    } finally {
      workers.shutdownNow();
    }
  }

  record Result(int cycles, double seconds, long[] cycleNanos, List<String> failures) {
    double percentileMs(double p) {
      long[] sorted = cycleNanos.clone();
      Arrays.sort(sorted);
      int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
      return sorted[Math.max(i, 0)] / 1e6;
    }
  }

  /** {@code cycles} publish+unpublish cycles spread over {@code volumes} volumes, one worker each. */
  static Result run(DriverHarness driver, CsiClient csi, ExecutorService workers, int volumes, int cycles)
      throws Exception {
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    long[] nanos = new long[cycles];
    List<Future<?>> running = new ArrayList<>();
    long start = System.nanoTime();
    for (int v = 0; v < volumes; v++) {
      int volume = v;
      running.add(workers.submit(() -> {
        String uid = "soak-" + volume;
        Path target = driver.target(uid, "v");
        NodePublishVolumeRequest request = Requests.publish(target, "ns", "pod-" + uid, uid, "spc").build();
        for (int c = volume; c < cycles; c += volumes) { // cycle c runs on volume c % volumes
          long t0 = System.nanoTime();
          Status published = csi.publish(request);
          if (!published.isOk()) {
            failures.add("publish " + uid + ": " + published);
          } else if (!"2".equals(read(target.resolve("dir/b")))) {
            failures.add("publish " + uid + ": content missing");
          }
          Status unpublished = csi.unpublish("v", target);
          if (!unpublished.isOk()) {
            failures.add("unpublish " + uid + ": " + unpublished);
          }
          nanos[c] = System.nanoTime() - t0;
        }
      }));
    }
    for (Future<?> f : running) {
      f.get(30, TimeUnit.MINUTES);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(cycles, seconds, nanos, List.copyOf(failures));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /**
   * Waits until every volume actor has passivated, and drops what the test fixtures recorded (the
   * test provider's requests, the mock API server's request log): their memory is not the driver's.
   */
  static void settle(DriverHarness driver, TestProvider provider) throws InterruptedException {
    io.sscsi.testkit.Await.until("every volume actor has passivated", () -> driver.volumeActors() == 0);
    provider.requests.clear();
    while (server.takeRequest(1, TimeUnit.MILLISECONDS) != null) {
      // drained
    }
  }

  static Map<String, String> changedGroups(Sample before, Sample after) {
    Map<String, String> out = new java.util.TreeMap<>();
    java.util.Set<String> names = new java.util.TreeSet<>(before.threadGroups().keySet());
    names.addAll(after.threadGroups().keySet());
    for (String n : names) {
      int b = before.threadGroups().getOrDefault(n, 0);
      int a = after.threadGroups().getOrDefault(n, 0);
      if (a != b) {
        out.put(n, b + "->" + a);
      }
    }
    return out;
  }

  static long heapLimit(Sample base) {
    return (long) (base.heapUsed() * (1 + HEAP_GROWTH)) + HEAP_SLACK;
  }

  static Sample sample() throws Exception {
    long heap = usedHeapAfterGc();
    int threads = ManagementFactory.getThreadMXBean().getThreadCount();
    long fds;
    try (Stream<Path> fd = Files.list(Path.of("/proc/self/fd"))) {
      fds = fd.count();
    }
    Map<String, Integer> groups = new java.util.TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      groups.merge(t.getName().replaceAll("\\d+", "N"), 1, Integer::sum);
    }
    return new Sample(threads, fds, heap, groups);
  }

  /**
   * The first sample meeting {@code ok}, or, when none has within {@code within}, a last one: the
   * caller prints it beside the baseline and then asserts, so a failure shows both.
   */
  static Sample awaitSample(Duration within, java.util.function.Predicate<Sample> ok) throws Exception {
    try {
      return io.sscsi.testkit.Await.value("a sample within the limits", within, PublishSoakTest::sample, ok);
    } catch (AssertionError none) {
      return sample();
    }
  }

  static long usedHeapAfterGc() throws InterruptedException {
    LongSupplier used = () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc(); // a full collection that returns when done (G1 without ExplicitGCInvokesConcurrent)
      best = Math.min(best, used.getAsLong());
    }
    return best;
  }
}
