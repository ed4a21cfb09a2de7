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
import io.sscsi.metrics.Instruments.Once;
import kamon.Kamon;
import kamon.Kamon$;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
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
 * LabelValues}, so no caller can grow {@code /metrics} without end. Each instrument is looked up in
 * Kamon once per tag set and kept ({@link Instruments}, {@link ProviderInstruments}), so recording is
 * an increment; Kamon starts no thread: each scrape takes its snapshot. Kamon is process-global, so
 * this class is too; {@link #init} is idempotent.
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
  private static final Set<String> PROVIDERS_SEEN = ConcurrentHashMap.newKeySet();
  /** Each {@code provider} label value's instruments, looked up in Kamon once. */
  private static final Map<String, ProviderInstruments> PROVIDERS = new ConcurrentHashMap<>();
  private static final Once<Counter> UNPUBLISH = new Once<>(() -> Instruments.counter(NODE_UNPUBLISH, tags()));
  private static final Once<Counter> UNPUBLISH_ERROR =
      new Once<>(() -> Instruments.counter(NODE_UNPUBLISH_ERROR, tags()));
  private static final Once<Gauge> MOUNTED_GAUGE = new Once<>(() -> Instruments.gauge(VOLUMES_MOUNTED, TagSet.Empty()));
  private static final Once<Histogram> ROTATION_SECONDS =
      new Once<>(() -> Instruments.histogram(ROTATION_DURATION, tags()));
  private static final Once<Histogram> SECRET_SYNC_SECONDS =
      new Once<>(() -> Instruments.histogram(SECRET_SYNC_DURATION, tags()));
  private static final Map<String, Counter> SKIPPED = new ConcurrentHashMap<>();
  /** Kamon's Prometheus reporter, fed a snapshot at each scrape; created by the first scrape. */
  private static PrometheusReporter reporter;

  private DriverMetrics() {}

  private static Map<String, String> helpTable(String table) {
    return table.lines().map(line -> line.split(" +", 2))
        .collect(Collectors.toUnmodifiableMap(nameAndText -> nameAndText[0], nameAndText -> nameAndText[1]));
  }

  /** The {@code # HELP} text of a metric. */
  static String help(String name) {
    String help = HELP.get(name);
    return help != null ? help : SyncControllerMetrics.help(name);
  }

  /**
   * Configures Kamon once per process and creates the series that exist at 0 from the start. No Kamon
   * thread starts: not its ticker, its scheduler nor a reporter module ({@code Kamon.init} is not
   * called). Each scrape takes Kamon's snapshot itself ({@link #scrape()}); between scrapes the
   * instruments accumulate, so every event since the process started is counted. Kamon's own HTTP
   * server stays off: {@code /metrics} is served by the driver's pekko-http endpoint ({@code
   * admin.AdminRoutes#metrics}).
   */
  public static void init(Config config) {
    if (STARTED.compareAndSet(false, true)) {
      Kamon.reconfigure(kamonConfig().withFallback(config));
      MOUNTED_GAUGE.get().update(0);
      UNPUBLISH.get();
      UNPUBLISH_ERROR.get();
      ProviderInstruments unknown = provider(""); // failures before the SecretProviderClass names a provider
      for (String errorType : ERROR_TYPES) {
        unknown.publishError(errorType);
      }
      ROTATION_SECONDS.get();
      SECRET_SYNC_SECONDS.get();
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
        "kamon.prometheus.include-environment-tags = no",
        "kamon.prometheus.buckets.custom { \"" + ROTATION_DURATION + "\" = " + buckets
            + ", \"" + SECRET_SYNC_DURATION + "\" = " + buckets + " }",
        "kamon.trace.sampler = never"));
  }

  /**
   * The Prometheus text of every metric as of now, with upstream's names, then the process and JVM
   * metrics. Kamon's registry hands over what its instruments counted since the last scrape (and
   * resets them); Kamon's Prometheus reporter adds that to its running totals and renders them, as it
   * did when Kamon's ticker fed it every 2 s. One scrape at a time: the reporter's totals are not
   * thread-safe.
   */
  public static synchronized String scrape() {
    if (reporter == null) {
      reporter = new PrometheusReporter(PrometheusReporter.DefaultConfigPath(), kamonConfig().withFallback(Kamon.config()));
    }
    reporter.reportPeriodSnapshot(Kamon$.MODULE$.registry().snapshot(true));
    return Exposition.rewrite(reporter.scrapeData(), RENAMES, ZEROS) + ProcessMetrics.render();
  }

  public static void publishOk(String provider) {
    known(provider).publish.get().increment();
  }

  /** A failed publish; {@code provider} and {@code errorType} may come from outside the driver (bounded). */
  public static void publishError(String provider, String errorType) {
    unvouched(provider).publishError(ERROR_TYPE_LABEL.of(errorType)).increment();
  }

  public static void unpublishOk() {
    UNPUBLISH.get().increment();
  }

  public static void unpublishError() {
    UNPUBLISH_ERROR.get().increment();
  }

  /** A kubelet republish that called the provider succeeded (upstream's rotation). */
  public static void rotation(String provider, Duration took) {
    known(provider).rotation.get().increment();
    ROTATION_SECONDS.get().record(took.toNanos());
  }

  /** A kubelet republish that called the provider failed. */
  public static void rotationError(String provider, String errorType) {
    unvouched(provider).rotationError(ERROR_TYPE_LABEL.of(errorType)).increment();
  }

  /**
   * A provider call for a mounted volume, whatever triggered it (kubelet's republish, the volume's
   * timer, a class or Secret change).
   *
   * @param result {@code changed}, {@code unchanged} or {@code error}
   */
  public static void refresh(String provider, String trigger, String result) {
    ProviderInstruments p = "error".equals(result) ? unvouched(provider) : known(provider);
    p.refresh(trigger, result).increment();
  }

  /** A refresh the timer or a change asked for was skipped, and why (e.g. tokens expired). */
  public static void rotationSkipped(String reason) {
    ProviderInstruments.cached(SKIPPED, reason, r -> Instruments.counter(ROTATION_SKIPPED, TagSet.of("reason", r)))
        .increment();
  }

  public static void secretSynced(String provider, Duration took) {
    ProviderInstruments p = known(provider);
    p.secretSync.get().increment();
    p.secretSyncAlias.get().increment();
    SECRET_SYNC_SECONDS.get().record(took.toNanos());
  }

  /** A call that reached the provider's pool (its socket was found): the provider is known. */
  public static void providerCall(String provider, Duration took) {
    known(provider).callDuration.get().record(took.toNanos());
  }

  public static void providerRejected(String provider) {
    known(provider).rejected.get().increment();
  }

  /** Adds {@code delta} to the provider's calls in flight. */
  public static void providerInFlight(String provider, int delta) {
    ProviderInstruments p = delta > 0 ? known(provider) : provider(PROVIDER_LABEL.trusted(provider));
    p.inFlight.get().update(p.inFlightNow.addAndGet(delta));
  }

  /** Adds {@code delta} to the number of mounted volumes. */
  public static void volumesMounted(int delta) {
    MOUNTED_GAUGE.get().update(MOUNTED.addAndGet(delta));
  }

  /** The instruments of a provider the driver reached (a pool exists for it, or it answered): always kept. */
  private static ProviderInstruments known(String provider) {
    return seen(PROVIDER_LABEL.trusted(provider));
  }

  /** The instruments of a provider name only seen failing: bounded. */
  private static ProviderInstruments unvouched(String provider) {
    return seen(PROVIDER_LABEL.of(provider));
  }

  /** A provider label's instruments; on a provider's first use, its counters with known labels start at 0. */
  private static ProviderInstruments seen(String label) {
    ProviderInstruments p = provider(label);
    if (!label.isEmpty() && PROVIDERS_SEEN.add(label)) {
      p.startAtZero();
    }
    return p;
  }

  private static ProviderInstruments provider(String label) {
    return ProviderInstruments.cached(PROVIDERS, label, ProviderInstruments::new);
  }

  /** Upstream's labels and values, then {@code os_type} (upstream puts it on every metric of its own). */
  static TagSet tags(String... pairs) {
    TagSet.Builder b = TagSet.builder();
    for (int i = 0; i < pairs.length; i += 2) {
      b.add(pairs[i], pairs[i + 1] == null ? "" : pairs[i + 1]);
    }
    return b.add("os_type", OS_TYPE).build();
  }
}
