package io.sscsi.synccontroller;

import io.sscsi.retry.Backoff;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Pure: when an object syncs next. After a success, its interval (its annotation or
 * {@code --rotation-poll-interval}; none when 0) spread by ±{@value #SPREAD_PERCENT}% so that a
 * thousand objects created together do not resync together; after failures, the backoff's delay for
 * that attempt, spread likewise. {@code random} returns values in [0, 1).
 */
public record SyncTiming(Backoff backoff, DoubleSupplier random) {
  static final int SPREAD_PERCENT = 20;

  /** The default: 2 s after the first failure, doubling, at most 5 minutes. */
  public static Backoff defaultBackoff() {
    return new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(5), 2);
  }

  /** Empty-interval means no periodic resync. */
  public java.util.Optional<Duration> afterSuccess(Duration interval) {
    if (interval.isZero() || interval.isNegative()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(spread(interval));
  }

  /** @param failures failures in a row, 1 for the first */
  public Duration afterFailure(int failures) {
    return spread(backoff.delay(failures));
  }

  private Duration spread(Duration d) {
    double factor = 1 + SPREAD_PERCENT / 100.0 * (2 * random.getAsDouble() - 1);
    return Duration.ofMillis(Math.max(1, (long) (d.toMillis() * factor)));
  }
}
