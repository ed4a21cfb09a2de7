package io.sscsi.metrics;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import kamon.metric.Timer;
import kamon.tag.TagSet;

/**
 * The one place the driver asks Kamon for an instrument by name and tags. Kamon's lookup (the metric
 * by name in its registry, then the instrument by a freshly built {@link TagSet}) costs more than the
 * recording itself, so every caller resolves an instrument once per tag set and keeps it ({@link
 * Once}, {@link ProviderInstruments}, maps keyed by a bounded label value). {@link #resolved()}
 * counts the lookups, so a test holds that a warm publish and unpublish make none.
 */
final class Instruments {
  private static final AtomicLong RESOLVED = new AtomicLong();

  private Instruments() {}

  static Counter counter(String name, TagSet tags) {
    RESOLVED.incrementAndGet();
    return Kamon.counter(name, DriverMetrics.help(name)).withTags(tags);
  }

  static Gauge gauge(String name, TagSet tags) {
    RESOLVED.incrementAndGet();
    return Kamon.gauge(name, DriverMetrics.help(name)).withTags(tags);
  }

  /** A histogram of durations, recorded in nanoseconds. */
  static Histogram histogram(String name, TagSet tags) {
    RESOLVED.incrementAndGet();
    return Kamon.histogram(name, DriverMetrics.help(name), MeasurementUnit.time().nanoseconds()).withTags(tags);
  }

  static Timer timer(String name, TagSet tags) {
    RESOLVED.incrementAndGet();
    return Kamon.timer(name, DriverMetrics.help(name)).withTags(tags);
  }

  /** How many instruments were looked up in Kamon's registry since the process started. */
  static long resolved() {
    return RESOLVED.get();
  }

  /**
   * An instrument looked up on its first use, then reused. Two threads racing on the first use both
   * look it up and get the same instrument from Kamon, so no lock is needed.
   */
  static final class Once<T> implements Supplier<T> {
    private final Supplier<T> resolve;
    private volatile T instrument;

    Once(Supplier<T> resolve) {
      this.resolve = resolve;
    }

    @Override
    public T get() {
      T i = instrument;
      if (i == null) {
        i = resolve.get();
        instrument = i;
      }
      return i;
    }
  }
}
