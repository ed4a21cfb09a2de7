package io.sscsi.bench;

import java.time.Duration;

/**
 * The benchmarks' only pauses, each named for why time must pass (tests never pause: they wait for
 * the exact condition through {@code testkit.Await}). In a benchmark the passing time is itself
 * measured or is the resolution of a measurement:
 * <ul>
 *   <li>{@link #idleFor}: an idle window whose CPU or timer work is the figure (idle CPU, rotation
 *       windows, "every volume's first timer has fired");
 *   <li>{@link #settle}: a short quiet time before a memory snapshot, so the snapshot shows the
 *       process at rest rather than the tail of the burst just sent (allocation, thread pools);
 *   <li>{@link #pollEvery}: the resolution of a timed wait (time to the socket file, to the first
 *       answer) or the pause between retries of a process that is still starting.
 * </ul>
 */
final class Pacing {
  private Pacing() {}

  /** An idle window of {@code window}: what the driver does meanwhile (CPU, timers) is measured. */
  static void idleFor(Duration window) throws InterruptedException {
    Thread.sleep(window.toMillis());
  }

  /** The quiet time before a memory snapshot taken right after a burst of calls. */
  static final Duration SNAPSHOT_SETTLE = Duration.ofSeconds(2);

  /** Quiet time of {@code quiet} before a memory snapshot. */
  static void settle(Duration quiet) throws InterruptedException {
    Thread.sleep(quiet.toMillis());
  }

  /** One pause of a polling loop whose resolution is {@code every}. */
  static void pollEvery(Duration every) throws InterruptedException {
    Thread.sleep(every.toMillis());
  }
}
