package io.sscsi.metrics;

import com.typesafe.config.Config;
import io.sscsi.errors.FailureKind;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import kamon.Kamon;
import kamon.metric.MeasurementUnit;
import kamon.prometheus.PrometheusReporter;
import kamon.tag.TagSet;

/**
 * Every metric the driver exposes, by name, in one place: upstream's names and labels as exposed
 * today (so existing dashboards and alerts keep working) plus sscsi's own, all recorded with Kamon,
 * each with a {@code # HELP} text. Counters whose labels are known in advance exist at 0 from the
 * start (unpublish, and publish errors before a provider is known) or from a provider's first use
 * (its publish, rotation and error counters, one per {@code error_type} of {@link FailureKind}), so
 * {@code rate()} and {@code increase()} see the first event. {@link #scrape()} renders the text
 * through {@link Exposition} and appends {@link ProcessMetrics}. Label values that come from outside
 * the driver (a provider's error code, a provider name only seen failing) are bounded by {@link
 * LabelValues}, so no caller can grow {@code /metrics} without end. Kamon is process-global, so this
 * class is too; {@link #init} is idempotent.
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
  public static final String REFRESHES = "sscsi_refreshes_total";

  /** Kamon exposition name -> upstream name. */
  private static final Map<String, String> RENAMES = Map.of(
      ROTATION_DURATION + "_seconds", ROTATION_DURATION,
      SECRET_SYNC_DURATION + "_seconds", SECRET_SYNC_DURATION);
  /** Upstream's histogram boundaries, exactly as its binary computes them: 0.1 s to 2 s in 11 steps. */
  static final double[] UPSTREAM_BUCKETS = GoFloats.exponentialBucketsRange(0.1, 2, 11);
  /** Every {@code error_type} the driver itself reports; a provider's own codes come on top. */
  static final Set<String> ERROR_TYPES = Arrays.stream(FailureKind.values()).map(FailureKind::errorType)
      .collect(Collectors.toCollection(TreeSet::new));
  /**
   * {@code provider} values: the provider of a call that succeeded or reached its pool is always kept
   * (there are as many as provider sockets on the node); a name only seen failing (a class naming a
   * provider that is not installed or breaks the name rule, a pod's {@code providerName} attribute)
   * takes one of 32 admissions, then counts as {@code other}.
   */
  static final LabelValues PROVIDER_LABEL = new LabelValues(Set.of(""), 32);
  /**
   * {@code error_type} values: the failure table's always; a provider's own error code (upstream's
   * label) when well-formed and among the first 32 such codes, else {@code other}.
   */
  static final LabelValues ERROR_TYPE_LABEL = new LabelValues(ERROR_TYPES, 32);
  /** Upstream's value of {@code rotated} on a successful rotation: always true since v1.6. */
  static final String ROTATED = "true";
  /** On a failed rotation nothing rotated. */
  static final String NOT_ROTATED = "false";

  /** Each metric's {@code # HELP} text: its name, spaces, the text (one line per metric). */
  private static final Map<String, String> HELP = helpTable("""
      node_publish_total                  NodePublishVolume calls that succeeded, republishes included
      node_publish_error_total            NodePublishVolume calls that failed, by error_type
      node_unpublish_total                NodeUnpublishVolume calls that succeeded
      node_unpublish_error_total          NodeUnpublishVolume calls that failed
      rotation_reconcile_total            kubelet republishes of a mounted volume that called its provider and succeeded
      rotation_reconcile_error_total      kubelet republishes of a mounted volume that called its provider and failed (kubelet is answered OK, the content is kept)
      rotation_reconcile_duration_sec     Seconds a kubelet republish that called the provider took
      sync_k8s_secret_total               Kubernetes Secrets written from mounted content
      k8s_secret_sync_total               Kubernetes Secrets written from mounted content (same as sync_k8s_secret_total)
      k8s_secret_duration_sec             Seconds one Kubernetes Secret write took
      sscsi_provider_call_duration        Seconds one provider Mount call took, queueing included
      sscsi_provider_calls_in_flight      Provider Mount calls under way
      sscsi_provider_calls_rejected_total Provider Mount calls refused because the provider's queue was full
      sscsi_volumes_mounted               Volumes this driver holds mounted
      sscsi_rotation_skipped_total        Refreshes the driver skipped, by reason (tokens_expired: the pod's tokens expired)
      sscsi_refreshes_total               Provider calls for already mounted volumes, by trigger (republish, timer, class_changed, secret_changed) and result (changed, unchanged, error)
      """);

  private static final Map<String, String> ZEROS = zeroHistograms();
  private static final AtomicBoolean STARTED = new AtomicBoolean();
  private static final AtomicLong MOUNTED = new AtomicLong();
  private static final Map<String, AtomicLong> IN_FLIGHT = new ConcurrentHashMap<>();
  private static final Set<String> PROVIDERS_SEEN = ConcurrentHashMap.newKeySet();

  private DriverMetrics() {}

  private static Map<String, String> helpTable(String table) {
    return table.lines().map(line -> line.split(" +", 2))
        .collect(Collectors.toUnmodifiableMap(nameAndText -> nameAndText[0], nameAndText -> nameAndText[1]));
  }

  /**
   * Starts Kamon's metric pipeline once per process. Kamon's own HTTP server stays off: {@code
   * /metrics} is served by the driver's pekko-http endpoint ({@code admin.AdminRoutes#metrics}) from {@link #scrape()}.
   */
  public static void init(Config config) {
    if (STARTED.compareAndSet(false, true)) {
      Kamon.init(kamonConfig().withFallback(config));
      Kamon.gauge(VOLUMES_MOUNTED, HELP.get(VOLUMES_MOUNTED)).withoutTags().update(0);
      counter(NODE_UNPUBLISH).withTags(tags());
      counter(NODE_UNPUBLISH_ERROR).withTags(tags());
      for (String errorType : ERROR_TYPES) { // failures before the SecretProviderClass names a provider
        counter(NODE_PUBLISH_ERROR).withTags(tags("provider", "", "error_type", errorType));
      }
      for (String histogram : List.of(ROTATION_DURATION, SECRET_SYNC_DURATION)) {
        Kamon.histogram(histogram, HELP.get(histogram), MeasurementUnit.time().nanoseconds()).withTags(tags());
      }
    }
  }

  /** Upstream's histograms before their first observation: every bucket at 0, as Kamon would show them. */
  static Map<String, String> zeroHistograms() {
    Map<String, String> zeros = new java.util.HashMap<>();
    for (String name : List.of(ROTATION_DURATION, SECRET_SYNC_DURATION)) {
      Exposition.Text t = new Exposition.Text();
      for (double le : UPSTREAM_BUCKETS) {
        t.sample(name + "_bucket", 0, "le", GoFloats.format(le), "os_type", OS_TYPE);
      }
      t.sample(name + "_bucket", 0, "le", "+Inf", "os_type", OS_TYPE);
      t.sample(name + "_count", 0, "os_type", OS_TYPE);
      t.sample(name + "_sum", 0, "os_type", OS_TYPE);
      zeros.put(name, t.toString());
    }
    return zeros;
  }

  static Config kamonConfig() {
    String buckets = Arrays.stream(UPSTREAM_BUCKETS).mapToObj(Double::toString)
        .collect(Collectors.joining(", ", "[", "]"));
    return com.typesafe.config.ConfigFactory.parseString(String.join("\n",
        "kamon.prometheus.start-embedded-http-server = no",
        "kamon.init.hide-banner = yes",
        "kamon.init.attach-instrumentation = no",
        "kamon.metric.tick-interval = 2 seconds",
        "kamon.prometheus.include-environment-tags = no",
        "kamon.prometheus.buckets.custom { \"" + ROTATION_DURATION + "\" = " + buckets
            + ", \"" + SECRET_SYNC_DURATION + "\" = " + buckets + " }",
        "kamon.trace.sampler = never"));
  }

  /** The Prometheus text of the latest tick, with upstream's names, then the process and JVM metrics. */
  public static String scrape() {
    return Exposition.rewrite(PrometheusReporter.latestScrapeData().getOrElse(() -> ""), RENAMES, ZEROS)
        + ProcessMetrics.render();
  }

  public static void publishOk(String provider) {
    provider = known(provider);
    counter(NODE_PUBLISH).withTags(tags("provider", provider)).increment();
  }

  /** A failed publish; {@code provider} and {@code errorType} may come from outside the driver (bounded). */
  public static void publishError(String provider, String errorType) {
    provider = unvouched(provider);
    counter(NODE_PUBLISH_ERROR).withTags(tags("provider", provider, "error_type", ERROR_TYPE_LABEL.of(errorType)))
        .increment();
  }

  public static void unpublishOk() {
    counter(NODE_UNPUBLISH).withTags(tags()).increment();
  }

  public static void unpublishError() {
    counter(NODE_UNPUBLISH_ERROR).withTags(tags()).increment();
  }

  /** A kubelet republish that called the provider succeeded (upstream's rotation). */
  public static void rotation(String provider, Duration took) {
    provider = known(provider);
    counter(ROTATION).withTags(tags("provider", provider, "rotated", ROTATED)).increment();
    Kamon.histogram(ROTATION_DURATION, HELP.get(ROTATION_DURATION), MeasurementUnit.time().nanoseconds())
        .withTags(tags()).record(took.toNanos());
  }

  /** A kubelet republish that called the provider failed. */
  public static void rotationError(String provider, String errorType) {
    provider = unvouched(provider);
    counter(ROTATION_ERROR)
        .withTags(tags("provider", provider, "error_type", ERROR_TYPE_LABEL.of(errorType), "rotated", NOT_ROTATED))
        .increment();
  }

  /**
   * A provider call for a mounted volume, whatever triggered it (kubelet's republish, the volume's
   * timer, a class or Secret change).
   *
   * @param result {@code changed}, {@code unchanged} or {@code error}
   */
  public static void refresh(String provider, String trigger, String result) {
    provider = "error".equals(result) ? unvouched(provider) : known(provider);
    refreshes(provider, trigger, result).increment();
  }

  private static kamon.metric.Counter refreshes(String provider, String trigger, String result) {
    return counter(REFRESHES)
        .withTags(TagSet.builder().add("provider", provider).add("trigger", trigger).add("result", result).build());
  }

  /** A refresh the timer or a change asked for was skipped, and why (e.g. tokens expired). */
  public static void rotationSkipped(String reason) {
    counter(ROTATION_SKIPPED).withTags(TagSet.of("reason", reason)).increment();
  }

  public static void secretSynced(String provider, Duration took) {
    provider = known(provider);
    counter(SECRET_SYNC).withTags(tags("provider", provider)).increment();
    counter(SECRET_SYNC_ALIAS).withTags(tags("provider", provider)).increment();
    Kamon.histogram(SECRET_SYNC_DURATION, HELP.get(SECRET_SYNC_DURATION), MeasurementUnit.time().nanoseconds())
        .withTags(tags()).record(took.toNanos());
  }

  /** A call that reached the provider's pool (its socket was found): the provider is known. */
  public static void providerCall(String provider, Duration took) {
    provider = known(provider);
    Kamon.timer(PROVIDER_CALL_DURATION, HELP.get(PROVIDER_CALL_DURATION)).withTags(TagSet.of("provider", provider))
        .record(took.toNanos());
  }

  public static void providerRejected(String provider) {
    provider = known(provider);
    counter(PROVIDER_REJECTED).withTags(TagSet.of("provider", provider)).increment();
  }

  /** Adds {@code delta} to the provider's calls in flight. */
  public static void providerInFlight(String provider, int delta) {
    provider = delta > 0 ? known(provider) : PROVIDER_LABEL.trusted(provider);
    long now = IN_FLIGHT.computeIfAbsent(provider, p -> new AtomicLong()).addAndGet(delta);
    Kamon.gauge(PROVIDER_IN_FLIGHT, HELP.get(PROVIDER_IN_FLIGHT)).withTags(TagSet.of("provider", provider)).update(now);
  }

  /** Adds {@code delta} to the number of mounted volumes. */
  public static void volumesMounted(int delta) {
    Kamon.gauge(VOLUMES_MOUNTED, HELP.get(VOLUMES_MOUNTED)).withoutTags().update(MOUNTED.addAndGet(delta));
  }

  /** The label of a provider the driver reached (a pool exists for it, or it answered): always kept. */
  private static String known(String provider) {
    String label = PROVIDER_LABEL.trusted(provider);
    seen(label);
    return label;
  }

  /** The label of a provider name only seen failing: bounded. */
  private static String unvouched(String provider) {
    String label = PROVIDER_LABEL.of(provider);
    seen(label);
    return label;
  }

  /** On a provider's first use, its counters with known labels start at 0. */
  private static void seen(String provider) {
    if (provider == null || provider.isEmpty() || !PROVIDERS_SEEN.add(provider)) {
      return;
    }
    counter(NODE_PUBLISH).withTags(tags("provider", provider));
    counter(ROTATION).withTags(tags("provider", provider, "rotated", ROTATED));
    counter(SECRET_SYNC).withTags(tags("provider", provider));
    counter(SECRET_SYNC_ALIAS).withTags(tags("provider", provider));
    counter(PROVIDER_REJECTED).withTags(TagSet.of("provider", provider));
    for (String trigger : List.of("republish", "timer", "class_changed", "secret_changed")) {
      for (String result : List.of("changed", "unchanged", "error")) {
        refreshes(provider, trigger, result);
      }
    }
    for (String errorType : ERROR_TYPES) {
      counter(NODE_PUBLISH_ERROR).withTags(tags("provider", provider, "error_type", errorType));
      counter(ROTATION_ERROR).withTags(tags("provider", provider, "error_type", errorType, "rotated", NOT_ROTATED));
    }
  }

  private static kamon.metric.Metric.Counter counter(String name) {
    return Kamon.counter(name, HELP.get(name));
  }

  private static TagSet tags(String... pairs) {
    TagSet.Builder b = TagSet.builder();
    for (int i = 0; i < pairs.length; i += 2) {
      b.add(pairs[i], pairs[i + 1] == null ? "" : pairs[i + 1]);
    }
    return b.add("os_type", OS_TYPE).build();
  }
}
