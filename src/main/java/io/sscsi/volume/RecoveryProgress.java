package io.sscsi.volume;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Thread-safe: what restart recovery's last attempt left, for {@code /readyz}. The
 * {@link VolumeRouter} writes it (a failed attempt, then success); the readiness check reads it from
 * an HTTP thread. While recovery has not failed (it runs, or it has finished) there is no problem:
 * only a failed attempt, with calls held until the next one succeeds, makes the driver not ready.
 */
public final class RecoveryProgress {
  private final AtomicReference<Optional<String>> problem = new AtomicReference<>(Optional.empty());

  /** Attempt {@code attempt} failed with {@code reason}; the next one runs after {@code retryIn}. */
  void failed(int attempt, String reason, Duration retryIn) {
    problem.set(Optional.of("restart recovery failed " + attempt + (attempt == 1 ? " time" : " times")
        + " (last: " + reason + "); volume calls are held, next attempt in " + retryIn.toSeconds() + " s"));
  }

  /** Recovery has finished: nothing to report from now on. */
  void finished() {
    problem.set(Optional.empty());
  }

  /** Empty unless the last attempt failed; then what failed and that calls are held. */
  public Optional<String> problem() {
    return problem.get();
  }
}
