package io.sscsi.metrics;

import io.sscsi.metrics.Instruments.Once;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Timer;
import kamon.tag.TagSet;

/**
 * The instruments of one {@code provider} label value, each looked up in Kamon on its first use and
 * then kept (the label values are bounded by {@link DriverMetrics}' {@link LabelValues}, so these
 * are too). The tags are exactly those each metric had before: upstream's metrics carry {@code
 * os_type}, sscsi's own do not. {@link #startAtZero()} creates the series a provider's first use
 * shows at 0, so {@code rate()} sees its first event.
 */
final class ProviderInstruments {
  static final List<String> REFRESH_TRIGGERS = List.of("republish", "timer", "class_changed", "secret_changed");
  static final List<String> REFRESH_RESULTS = List.of("changed", "unchanged", "error");

  private final String provider;
  final Once<Counter> publish;
  final Once<Counter> rotation;
  final Once<Counter> secretSync;
  final Once<Counter> secretSyncAlias;
  final Once<Counter> rejected;
  final Once<Timer> callDuration;
  final Once<Gauge> inFlight;
  /** The provider's calls in flight, which {@link #inFlight} shows. */
  final AtomicLong inFlightNow = new AtomicLong();
  private final Map<String, Counter> publishErrors = new ConcurrentHashMap<>();
  private final Map<String, Counter> rotationErrors = new ConcurrentHashMap<>();
  private final Map<String, Counter> refreshes = new ConcurrentHashMap<>();

  ProviderInstruments(String provider) {
    this.provider = provider;
    publish = new Once<>(() -> Instruments.counter(DriverMetrics.NODE_PUBLISH, DriverMetrics.tags("provider", provider)));
    rotation = new Once<>(() -> Instruments.counter(DriverMetrics.ROTATION,
        DriverMetrics.tags("provider", provider, "rotated", DriverMetrics.ROTATED)));
    secretSync = new Once<>(() -> Instruments.counter(DriverMetrics.SECRET_SYNC, DriverMetrics.tags("provider", provider)));
    secretSyncAlias = new Once<>(
        () -> Instruments.counter(DriverMetrics.SECRET_SYNC_ALIAS, DriverMetrics.tags("provider", provider)));
    rejected = new Once<>(() -> Instruments.counter(DriverMetrics.PROVIDER_REJECTED, TagSet.of("provider", provider)));
    callDuration = new Once<>(() -> Instruments.timer(DriverMetrics.PROVIDER_CALL_DURATION, TagSet.of("provider", provider)));
    inFlight = new Once<>(() -> Instruments.gauge(DriverMetrics.PROVIDER_IN_FLIGHT, TagSet.of("provider", provider)));
  }

  /** {@code node_publish_error_total} for this provider and an {@code error_type} value (already bounded). */
  Counter publishError(String errorType) {
    return cached(publishErrors, errorType, e -> Instruments.counter(DriverMetrics.NODE_PUBLISH_ERROR,
        DriverMetrics.tags("provider", provider, "error_type", e)));
  }

  /** {@code rotation_reconcile_error_total} for this provider and an {@code error_type} value (already bounded). */
  Counter rotationError(String errorType) {
    return cached(rotationErrors, errorType, e -> Instruments.counter(DriverMetrics.ROTATION_ERROR,
        DriverMetrics.tags("provider", provider, "error_type", e, "rotated", DriverMetrics.NOT_ROTATED)));
  }

  /** {@code sscsi_refreshes_total} for this provider, a trigger and a result. */
  Counter refresh(String trigger, String result) {
    return cached(refreshes, trigger + '\n' + result, key -> Instruments.counter(DriverMetrics.REFRESHES,
        TagSet.builder().add("provider", provider).add("trigger", trigger).add("result", result).build()));
  }

  /** Creates, at 0, every series with a known label set, as on a provider's first use. */
  void startAtZero() {
    publish.get();
    rotation.get();
    secretSync.get();
    secretSyncAlias.get();
    rejected.get();
    for (String trigger : REFRESH_TRIGGERS) {
      for (String result : REFRESH_RESULTS) {
        refresh(trigger, result);
      }
    }
    for (String errorType : DriverMetrics.ERROR_TYPES) {
      publishError(errorType);
      rotationError(errorType);
    }
  }

  static <T> T cached(Map<String, T> cache, String key, Function<String, T> resolve) {
    T found = cache.get(key);
    return found != null ? found : cache.computeIfAbsent(key, resolve);
  }
}
