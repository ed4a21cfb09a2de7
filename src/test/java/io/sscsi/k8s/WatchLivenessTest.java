package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link WatchLiveness} over scripted samples on a fake clock: when a watch's version stands still too long. */
class WatchLivenessTest {
  /** At {@code atSeconds}, the watch has seen {@code version} (null: not running); {@code staleFor} expected. */
  record Sample(long atSeconds, String version, Long staleForSeconds) {}

  static Sample at(long s, String version) {
    return new Sample(s, version, null);
  }

  static Sample stale(long s, String version, long forSeconds) {
    return new Sample(s, version, forSeconds);
  }

  record Case(String name, Duration staleAfter, List<Sample> samples) {}

  static final Duration FIVE_MIN = Duration.ofMinutes(5);

  static final List<Case> CASES = List.of(
      new Case("moving versions (events, bookmarks) are never stale", FIVE_MIN,
          List.of(at(0, "1"), at(240, "2"), at(480, "3"), at(720, "4"), at(1000, "5"))),
      new Case("a version standing still is stale only past the threshold", FIVE_MIN,
          List.of(at(0, "7"), at(299, "7"), at(300, "7"), stale(301, "7", 301), stale(900, "7", 900))),
      new Case("a new version after staleness starts the clock again", FIVE_MIN,
          List.of(at(0, "7"), stale(400, "7", 400), at(410, "8"), at(700, "8"), stale(711, "8", 301))),
      new Case("a watch not running is forgotten; its clock starts when it runs again", FIVE_MIN,
          List.of(at(0, "7"), at(200, null), at(400, "7"), at(700, "7"), stale(701, "7", 301))),
      new Case("the clock starts at the first sample, not at the version's age", FIVE_MIN,
          List.of(at(10_000, "3"), at(10_300, "3"), stale(10_301, "3", 301))),
      new Case("zero turns the check off (upstream: no such check)", Duration.ZERO,
          List.of(at(0, "7"), at(3600, "7"), at(86_400, "7"))));

  @Test
  void eachCase() {
    for (Case c : CASES) {
      AtomicLong nanos = new AtomicLong(123_456_789L); // a monotonic clock starts anywhere
      long origin = nanos.get();
      WatchLiveness liveness = new WatchLiveness(c.staleAfter(), nanos::get);
      for (Sample s : c.samples()) {
        nanos.set(origin + Duration.ofSeconds(s.atSeconds()).toNanos());
        Optional<Duration> got = liveness.stale("SecretProviderClasses", Optional.ofNullable(s.version()));
        Optional<Duration> want = Optional.ofNullable(s.staleForSeconds()).map(Duration::ofSeconds);
        assertEquals(want, got, c.name() + ", at " + s.atSeconds() + " s");
      }
    }
  }

  @Test
  void eachWatchHasItsOwnClock() {
    AtomicLong nanos = new AtomicLong();
    WatchLiveness liveness = new WatchLiveness(FIVE_MIN, nanos::get);
    liveness.stale("classes", Optional.of("1"));
    liveness.stale("secrets", Optional.of("1"));
    nanos.set(Duration.ofSeconds(200).toNanos());
    liveness.stale("secrets", Optional.of("2"));
    nanos.set(Duration.ofSeconds(400).toNanos());
    assertEquals(Optional.of(Duration.ofSeconds(400)), liveness.stale("classes", Optional.of("1")));
    assertEquals(Optional.empty(), liveness.stale("secrets", Optional.of("2")), "moved at 200 s");
  }
}
