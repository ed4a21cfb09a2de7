package io.sscsi.metrics;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import io.sscsi.metrics.Instruments.Once;
import java.util.concurrent.ConcurrentHashMap;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.tag.TagSet;

/**
 * The sync controller's own metrics ({@code sscsi sync-controller}), beside the provider pool's
 * ({@code sscsi_provider_call_duration_seconds{provider}} and the rest of {@link DriverMetrics}),
 * recorded with Kamon and served by the same {@link DriverMetrics#scrape()}. Every label value is
 * from a fixed set (a sync's result, SSC's failure reasons, what caused a write), so none grows with
 * the objects: how often one SecretSync failed is in {@code GET /secretsyncs}, not in a label.
 * Counters exist at 0 from {@link #init()}.
 */
public final class SyncControllerMetrics {
  public static final String SYNCS = "sscsi_secretsync_syncs_total";
  public static final String SYNC_ERRORS = "sscsi_secretsync_sync_errors_total";
  public static final String SECRET_WRITES = "sscsi_secretsync_secret_writes_total";
  public static final String OBJECTS = "sscsi_secretsyncs";
  public static final String FAILING = "sscsi_secretsyncs_failing";
  public static final String LEADER = "sscsi_secretsync_leader";

  /** A sync's result: the Secret written, left as it was (content unchanged), or the sync failed. */
  public static final List<String> RESULTS = List.of("written", "unchanged", "error");
  /** What wrote a Secret: a sync, or a restore after someone else deleted or edited it. */
  public static final List<String> WRITE_CAUSES = List.of("sync", "restore");
  /** SSC's failure reasons (the conditions' reasons); anything else counts as {@code other}. */
  static final Set<String> REASONS = Set.of("SecretProviderClassMisconfigured", "ProviderError",
      "RemoteSecretStoreFetchFailed", "ControllerSyncError", "ControllerPatchError",
      "InvalidClusterSecretLabelError", "InvalidClusterSecretAnnotationError");

  private static final Map<String, String> HELP = Map.of(
      SYNCS, "SecretSync syncs (provider call and, when the content changed or the last sync failed, a Secret"
          + " write), by result (written, unchanged, error)",
      SYNC_ERRORS, "Failed SecretSync syncs, by the condition's reason",
      SECRET_WRITES, "Secret writes (server-side apply), by cause (sync; restore: someone else deleted or edited it)",
      OBJECTS, "SecretSync objects this controller holds",
      FAILING, "SecretSync objects whose last sync failed",
      LEADER, "1 while this controller holds the Lease (or runs without leader election), else 0");

  private static final AtomicBoolean STARTED = new AtomicBoolean();
  private static final AtomicLong FAILING_NOW = new AtomicLong();
  private static final Map<String, Counter> SYNCS_BY_RESULT = new ConcurrentHashMap<>();
  private static final Map<String, Counter> ERRORS_BY_REASON = new ConcurrentHashMap<>();
  private static final Map<String, Counter> WRITES_BY_CAUSE = new ConcurrentHashMap<>();
  private static final Once<Gauge> OBJECTS_GAUGE = new Once<>(() -> Instruments.gauge(OBJECTS, TagSet.Empty()));
  private static final Once<Gauge> FAILING_GAUGE = new Once<>(() -> Instruments.gauge(FAILING, TagSet.Empty()));
  private static final Once<Gauge> LEADER_GAUGE = new Once<>(() -> Instruments.gauge(LEADER, TagSet.Empty()));

  private SyncControllerMetrics() {}

  /** The {@code # HELP} text of one of these metrics, or null. */
  static String help(String name) {
    return HELP.get(name);
  }

  /** Creates the counters at 0 (idempotent); call after {@link DriverMetrics#init}. */
  public static void init() {
    if (STARTED.compareAndSet(false, true)) {
      RESULTS.forEach(r -> syncs(r));
      REASONS.forEach(r -> errors(r));
      WRITE_CAUSES.forEach(c -> writes(c));
      objects(0);
      FAILING_GAUGE.get().update(0);
    }
  }

  /** A sync ended with {@code result} (one of {@link #RESULTS}); {@code reason} when it failed. */
  public static void sync(String result, String reason) {
    syncs(result).increment();
    if ("error".equals(result)) {
      errors(REASONS.contains(reason) ? reason : "other").increment();
    }
  }

  public static void secretWritten(String cause) {
    writes(cause).increment();
  }

  public static void objects(int count) {
    OBJECTS_GAUGE.get().update(count);
  }

  /** One object turned failing (+1) or recovered or went away while failing (-1). */
  public static void failing(int delta) {
    FAILING_GAUGE.get().update(FAILING_NOW.addAndGet(delta));
  }

  public static void leader(boolean leading) {
    LEADER_GAUGE.get().update(leading ? 1 : 0);
  }

  private static Counter syncs(String result) {
    return ProviderInstruments.cached(SYNCS_BY_RESULT, result, r -> Instruments.counter(SYNCS, TagSet.of("result", r)));
  }

  private static Counter errors(String reason) {
    return ProviderInstruments.cached(ERRORS_BY_REASON, reason,
        r -> Instruments.counter(SYNC_ERRORS, TagSet.of("reason", r)));
  }

  private static Counter writes(String cause) {
    return ProviderInstruments.cached(WRITES_BY_CAUSE, cause,
        c -> Instruments.counter(SECRET_WRITES, TagSet.of("cause", c)));
  }
}
