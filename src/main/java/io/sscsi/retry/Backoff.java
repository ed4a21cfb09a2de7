package io.sscsi.retry;

import java.time.Duration;

/**
 * Pure: an exponential backoff, {@code first} multiplied by {@code multiplier} per attempt and
 * capped at {@code max}.
 */
public record Backoff(Duration first, Duration max, double multiplier) {

  public Backoff {
    if (first.isNegative() || first.isZero() || max.compareTo(first) < 0 || multiplier < 1) {
      throw new IllegalArgumentException("backoff needs 0 < first <= max and multiplier >= 1, got " + first
          + ", " + max + ", " + multiplier);
    }
  }

  /** The delay before attempt {@code attempt} (1 = the first retry). */
  public Duration delay(int attempt) {
    double millis = first.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
    return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
  }
}
