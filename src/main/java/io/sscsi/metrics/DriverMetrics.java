package io.sscsi.metrics;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import kamon.Kamon;
import kamon.metric.MeasurementUnit;
import kamon.prometheus.PrometheusReporter;
import kamon.tag.TagSet;

/**
 * Every metric the driver exposes, by name, in one place: upstream's names and labels as exposed
 * today (so existing dashboards and alerts keep working) plus sscsi's own, all recorded with Kamon.
 * {@link #scrape()} renders the Prometheus text; it applies the one rename Kamon cannot express
 * (Kamon suffixes time histograms with {@code _seconds}, upstream's is {@code ..._duration_sec}).
 * Kamon is process-global, so this class is too; {@link #init} is idempotent.
 */
public final class DriverMetrics {
  static final String OS_TYPE = "linux";

  public static final String NODE_PUBLISH = "node_publish_total";
  public static final String NODE_PUBLISH_ERROR = "node_publish_error_total";
  public static final String NODE_UNPUBLISH = "node_unpublish_total";
  public static final String NODE_UNPUBLISH_ERROR = "node_unpublish_error_total";
  public static final String ROTATION = "rotation_reconcile_total";
  public static final String ROTATION_ERROR = "rotation_reconcile_error_total";
  public static final String ROTATION_DURATION = "rotation_reconcile_duration_sec";
  /** Upstream declares this name; the issue tracker names the other; both are exposed. */
  public static final String SECRET_SYNC = "sync_k8s_secret_total";
  public static final String SECRET_SYNC_ALIAS = "k8s_secret_sync_total";
  public static final String SECRET_SYNC_DURATION = "k8s_secret_duration_sec";
  public static final String PROVIDER_CALL_DURATION = "sscsi_provider_call_duration";
  public static final String PROVIDER_IN_FLIGHT = "sscsi_provider_calls_in_flight";
  public static final String PROVIDER_REJECTED = "sscsi_provider_calls_rejected_total";
  public static final String VOLUMES_MOUNTED = "sscsi_volumes_mounted";
  public static final String ROTATION_SKIPPED = "sscsi_rotation_skipped_total";

  /** Kamon exposition name -> upstream name. */
  private static final Map<String, String> RENAMES = Map.of(
      ROTATION_DURATION + "_seconds", ROTATION_DURATION,
      SECRET_SYNC_DURATION + "_seconds", SECRET_SYNC_DURATION);
  /** Upstream's histogram boundaries: 11 exponential steps from 0.1 s to 2 s. */
  private static final List<Double> UPSTREAM_BUCKETS =
      List.of(0.1, 0.135, 0.182, 0.246, 0.331, 0.447, 0.603, 0.814, 1.099, 1.482, 2.0);

  private static final AtomicBoolean STARTED = new AtomicBoolean();
  private static final AtomicLong MOUNTED = new AtomicLong();
  private static final Map<String, AtomicLong> IN_FLIGHT = new ConcurrentHashMap<>();

  private DriverMetrics() {}

  /**
   * Starts Kamon's metric pipeline once per process. Kamon's own HTTP server stays off: {@code
   * /metrics} is served by the driver's pekko-http endpoint ({@code admin.AdminRoutes#metrics}) from {@link #scrape()}.
   */
  public static void init(Config config) {
    if (STARTED.compareAndSet(false, true)) {
      Kamon.init(kamonConfig().withFallback(config));
      Kamon.gauge(VOLUMES_MOUNTED).withoutTags().update(0);
    }
  }

  static Config kamonConfig() {
    String buckets = UPSTREAM_BUCKETS.toString();
    return com.typesafe.config.ConfigFactory.parseString(String.join("\n",
        "kamon.prometheus.start-embedded-http-server = no",
        "kamon.metric.tick-interval = 2 seconds",
        "kamon.prometheus.include-environment-tags = no",
        "kamon.prometheus.buckets.custom { \"" + ROTATION_DURATION + "\" = " + buckets
            + ", \"" + SECRET_SYNC_DURATION + "\" = " + buckets + " }",
        "kamon.trace.sampler = never"));
  }

  /** The Prometheus text of the latest tick, with upstream's names. */
  public static String scrape() {
    String text = PrometheusReporter.latestScrapeData().getOrElse(() -> "");
    for (Map.Entry<String, String> rename : RENAMES.entrySet()) {
      text = text.replace(rename.getKey(), rename.getValue());
    }
    return text;
  }

  public static void publishOk(String provider) {
    Kamon.counter(NODE_PUBLISH).withTags(tags("provider", provider)).increment();
  }

  public static void publishError(String provider, String errorType) {
    Kamon.counter(NODE_PUBLISH_ERROR).withTags(tags("provider", provider, "error_type", errorType)).increment();
  }

  public static void unpublishOk() {
    Kamon.counter(NODE_UNPUBLISH).withTags(tags()).increment();
  }

  public static void unpublishError() {
    Kamon.counter(NODE_UNPUBLISH_ERROR).withTags(tags()).increment();
  }

  public static void rotation(String provider, boolean rotated, Duration took) {
    Kamon.counter(ROTATION).withTags(tags("provider", provider, "rotated", String.valueOf(rotated))).increment();
    Kamon.histogram(ROTATION_DURATION, MeasurementUnit.time().nanoseconds()).withTags(tags()).record(took.toNanos());
  }

  public static void rotationError(String provider, String errorType, boolean rotated) {
    Kamon.counter(ROTATION_ERROR)
        .withTags(tags("provider", provider, "error_type", errorType, "rotated", String.valueOf(rotated)))
        .increment();
  }

  /** A refresh the timer or a change asked for was skipped, and why (e.g. tokens expired). */
  public static void rotationSkipped(String reason) {
    Kamon.counter(ROTATION_SKIPPED).withTags(TagSet.of("reason", reason)).increment();
  }

  public static void secretSynced(String provider, Duration took) {
    Kamon.counter(SECRET_SYNC).withTags(tags("provider", provider)).increment();
    Kamon.counter(SECRET_SYNC_ALIAS).withTags(tags("provider", provider)).increment();
    Kamon.histogram(SECRET_SYNC_DURATION, MeasurementUnit.time().nanoseconds()).withTags(tags()).record(took.toNanos());
  }

  public static void providerCall(String provider, Duration took) {
    Kamon.timer(PROVIDER_CALL_DURATION).withTags(TagSet.of("provider", provider)).record(took.toNanos());
  }

  public static void providerRejected(String provider) {
    Kamon.counter(PROVIDER_REJECTED).withTags(TagSet.of("provider", provider)).increment();
  }

  /** Adds {@code delta} to the provider's calls in flight. */
  public static void providerInFlight(String provider, int delta) {
    long now = IN_FLIGHT.computeIfAbsent(provider, p -> new AtomicLong()).addAndGet(delta);
    Kamon.gauge(PROVIDER_IN_FLIGHT).withTags(TagSet.of("provider", provider)).update(now);
  }

  /** Adds {@code delta} to the number of mounted volumes. */
  public static void volumesMounted(int delta) {
    Kamon.gauge(VOLUMES_MOUNTED).withoutTags().update(MOUNTED.addAndGet(delta));
  }

  private static TagSet tags(String... pairs) {
    TagSet.Builder b = TagSet.builder();
    for (int i = 0; i < pairs.length; i += 2) {
      b.add(pairs[i], pairs[i + 1] == null ? "" : pairs[i + 1]);
    }
    return b.add("os_type", OS_TYPE).build();
  }
}
