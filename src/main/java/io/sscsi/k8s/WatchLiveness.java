package io.sscsi.k8s;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Whether a running watch still hears from the API server: given each watch's last seen
 * resourceVersion, sampled whenever {@code /readyz} asks, says how long it has stood still once that
 * is longer than {@code staleAfter}. The version moves with every event and with every bookmark
 * (fabric8's informer asks for bookmarks; an API server sends one about every minute on a quiet
 * watch), so a watch whose connection looks up but whose version stands still is one the API server
 * no longer feeds (a paused server, a hung proxy). A watch that is not running is forgotten: its
 * problem is reported elsewhere, and its clock starts again when it runs. {@code staleAfter} of zero
 * turns the check off. Time comes from an injected monotonic clock (nanoseconds).
 */
public final class WatchLiveness {
  private record Seen(String version, long sinceNanos) {}

  private final Duration staleAfter;
  private final LongSupplier nanoTime;
  private final Map<String, Seen> seen = new HashMap<>();

  public WatchLiveness(Duration staleAfter, LongSupplier nanoTime) {
    this.staleAfter = Objects.requireNonNull(staleAfter, "staleAfter");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /** A check that is off: never stale. */
  public static WatchLiveness off() {
    return new WatchLiveness(Duration.ZERO, System::nanoTime);
  }

  public Duration staleAfter() {
    return staleAfter;
  }

  /**
   * Records what {@code watch} has seen now ({@code version}, empty while it is not running) and
   * returns how long that version has been unchanged, when that is longer than {@code staleAfter}.
   */
  public synchronized Optional<Duration> stale(String watch, Optional<String> version) {
    if (staleAfter.isZero() || staleAfter.isNegative() || version.isEmpty()) {
      seen.remove(watch);
      return Optional.empty();
    }
    long now = nanoTime.getAsLong();
    Seen last = seen.get(watch);
    if (last == null || !last.version().equals(version.get())) {
      seen.put(watch, new Seen(version.get(), now));
      return Optional.empty();
    }
    Duration still = Duration.ofNanos(now - last.sinceNanos());
    return still.compareTo(staleAfter) > 0 ? Optional.of(still) : Optional.empty();
  }
}
