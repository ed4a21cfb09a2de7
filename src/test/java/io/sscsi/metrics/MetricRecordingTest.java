package io.sscsi.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the driver records with Kamon (BENCHMARKS.md, "Metrics cost"): no Kamon thread is started, not
 * by {@link DriverMetrics#init} nor by a scrape; each scrape takes Kamon's snapshot itself and every
 * event since the process started is counted, the first publish's included; a warm publish and
 * unpublish cycle looks up no instrument in Kamon's registry. Provider names are unique per test,
 * since Kamon's registry is process-wide.
 */
class MetricRecordingTest {
  @BeforeAll
  static void init() {
    DriverMetrics.init(ConfigFactory.load());
  }

  @Test
  void kamonStartsNoThreadNeitherAtInitNorAtAScrape() {
    DriverMetrics.publishOk(unique("threads"));
    DriverMetrics.scrape();
    List<String> kamon = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(n -> n.toLowerCase(java.util.Locale.ROOT).contains("kamon") || n.contains("Prometheus Reporter"))
        .toList();
    assertEquals(List.of(), kamon, "Kamon's ticker, scheduler and reporter threads");
  }

  @Test
  void everyEventIsCountedBeforeTheFirstScrapeAndBetweenScrapes() {
    String provider = unique("counted");
    DriverMetrics.publishOk(provider);
    DriverMetrics.providerCall(provider, Duration.ofMillis(3));
    String first = DriverMetrics.scrape();
    assertEquals(1, value(first, "node_publish_total", "provider=\"" + provider + "\"", "os_type=\"linux\""), first);
    assertEquals(1, value(first, "sscsi_provider_call_duration_seconds_count", "provider=\"" + provider + "\""), first);
    DriverMetrics.publishOk(provider);
    DriverMetrics.publishOk(provider);
    DriverMetrics.scrape(); // a scrape in between takes Kamon's snapshot: the totals carry on
    DriverMetrics.publishOk(provider);
    String later = DriverMetrics.scrape();
    assertEquals(4, value(later, "node_publish_total", "provider=\"" + provider + "\"", "os_type=\"linux\""), later);
    assertEquals(0, value(later, "node_publish_error_total", "provider=\"" + provider + "\"",
        "error_type=\"ProviderError\"", "os_type=\"linux\""), "a provider's error series start at 0: " + later);
  }

  @Test
  void aWarmPublishAndUnpublishLooksUpNoInstrument() {
    String provider = unique("warm");
    cycle(provider); // the first use of a provider label looks its instruments up, once
    long before = Instruments.resolved();
    for (int i = 0; i < 100; i++) {
      cycle(provider);
    }
    assertEquals(before, Instruments.resolved(), "instruments looked up in Kamon's registry by 100 warm cycles");
    String text = DriverMetrics.scrape();
    assertEquals(101, value(text, "node_publish_total", "provider=\"" + provider + "\"", "os_type=\"linux\""), text);
    assertEquals(101, value(text, "sscsi_provider_call_duration_seconds_count", "provider=\"" + provider + "\""), text);
    assertEquals(0, value(text, "sscsi_provider_calls_in_flight", "provider=\"" + provider + "\""), text);
  }

  /** What the driver records for one publish and unpublish of a volume. */
  private static void cycle(String provider) {
    DriverMetrics.providerInFlight(provider, 1);
    DriverMetrics.providerCall(provider, Duration.ofMillis(2));
    DriverMetrics.providerInFlight(provider, -1);
    DriverMetrics.publishOk(provider);
    DriverMetrics.volumesMounted(1);
    DriverMetrics.unpublishOk();
    DriverMetrics.volumesMounted(-1);
  }

  private static String unique(String prefix) {
    return prefix + Long.toHexString(System.nanoTime());
  }

  /** The value of the one sample of {@code name} carrying every label given (Kamon does not order labels). */
  static double value(String exposition, String name, String... labels) {
    List<String> lines = exposition.lines().filter(l -> l.startsWith(name + "{"))
        .filter(l -> Arrays.stream(labels).allMatch(l::contains)).toList();
    assertEquals(1, lines.size(), () -> name + " " + Arrays.toString(labels) + " in " + exposition);
    String line = lines.get(0);
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }
}
