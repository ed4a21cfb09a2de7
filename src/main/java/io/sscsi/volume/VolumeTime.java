package io.sscsi.volume;

import io.sscsi.retry.Backoff;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Where a volume's sense of time comes from, so tests can drive it: the clock (refresh gate, token
 * expiry, deadlines, refresh times), the jitter source of the rotation timer (values in [0, 1)) and
 * the backoff of status-object retries. Timers themselves run on the actor system's scheduler
 * (ManualTime in tests).
 */
public record VolumeTime(Clock clock, DoubleSupplier jitter, Backoff statusRetry) {

  /** Status-object retries: 1 s, doubling, at most 60 s. */
  public static final Backoff STATUS_RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), 2);

  /** The system clock, a thread-local random jitter and {@link #STATUS_RETRY}. */
  public static VolumeTime system() {
    return new VolumeTime(Clock.systemUTC(), () -> ThreadLocalRandom.current().nextDouble(), STATUS_RETRY);
  }
}
