package io.sscsi.bench;

import com.typesafe.config.ConfigFactory;
import io.sscsi.metrics.DriverMetrics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU of the metric recording a publish+unpublish cycle makes, alone (a {@code main}; run it against
 * two builds' classes for an A/B): {@code DriverMetrics.init}, a warm-up, then rounds of cycles on one
 * thread, each round's thread CPU per cycle printed. One cycle records what the driver records for a
 * publish and an unpublish of a volume: the provider call's in-flight gauge (+1, -1) and duration,
 * the publish counter, the mounted-volumes gauge (+1, -1) and the unpublish counter.
 *
 * <pre>
 *   java -cp CLASSES:target/test-classes:$(cat target/cp.txt) io.sscsi.bench.MetricsRecordingBench [cycles] [rounds]
 * </pre>
 */
public final class MetricsRecordingBench {
  private MetricsRecordingBench() {}

  public static void main(String[] args) {
    int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    DriverMetrics.init(ConfigFactory.load());
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int i = 0; i < cycles; i++) {
      cycle("bench");
    }
    List<Double> nsPerCycle = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      long t0 = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < cycles; i++) {
        cycle("bench");
      }
      nsPerCycle.add((threads.getCurrentThreadCpuTime() - t0) / (double) cycles);
    }
    DriverMetrics.scrape();
    System.out.printf("thread CPU ns per cycle, per round: %s%n",
        nsPerCycle.stream().map(ns -> String.format("%.0f", ns)).toList());
    System.exit(0);
  }

  private static void cycle(String provider) {
    DriverMetrics.providerInFlight(provider, 1);
    DriverMetrics.providerCall(provider, Duration.ofMillis(2));
    DriverMetrics.providerInFlight(provider, -1);
    DriverMetrics.publishOk(provider);
    DriverMetrics.volumesMounted(1);
    DriverMetrics.unpublishOk();
    DriverMetrics.volumesMounted(-1);
  }
}
