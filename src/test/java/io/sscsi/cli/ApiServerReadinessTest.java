package io.sscsi.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.ConfigFactory;
import io.sscsi.admin.Readiness;
import io.sscsi.config.DriverSettings;
import io.sscsi.k8s.KubeReachability;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code sscsi.driver.watch-stale-after} reaches {@code /readyz}'s answer: a running watch whose
 * resourceVersion stands still (a paused API server keeps the connection up and sends nothing, not
 * even bookmarks) makes the driver not ready once set; by default (0, as upstream) it stays ready.
 */
class ApiServerReadinessTest {
  /** A watch that runs and has seen {@code version}, as a paused API server leaves it. */
  static final class Paused implements KubeReachability.Watched {
    volatile String version = "42";

    @Override
    public Optional<String> watchProblem() {
      return Optional.empty();
    }

    @Override
    public String watchName() {
      return "SecretProviderClasses";
    }

    @Override
    public Optional<String> seenVersion() {
      return Optional.of(version);
    }
  }

  static DriverSettings settings(String hocon) {
    return DriverSettings.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve());
  }

  @Test
  void aWatchThatHearsNothingForLongerThanTheSettingMakesTheDriverNotReady() {
    AtomicLong nanos = new AtomicLong();
    Paused watch = new Paused();
    Readiness readiness = DriverCommand.apiServerReadiness(
        settings("sscsi.driver.watch-stale-after = 5m"), nanos::get, watch);
    assertTrue(readiness.check().ready(), readiness.check().text());
    nanos.set(Duration.ofMinutes(4).toNanos());
    assertTrue(readiness.check().ready(), "4 minutes without a bookmark is within 5m");
    nanos.set(Duration.ofMinutes(6).toNanos());
    Readiness.Report report = readiness.check();
    assertFalse(report.ready(), report.text());
    assertEquals("api-server: watch of SecretProviderClasses has seen no event or bookmark for 360 s"
        + " (watch-stale-after 300 s)\n", report.text());

    watch.version = "43"; // the API server resumes: a bookmark arrives
    assertTrue(readiness.check().ready(), readiness.check().text());
  }

  @Test
  void offByDefaultAsUpstream() {
    DriverSettings defaults = settings("");
    assertEquals(Duration.ZERO, defaults.watchStaleAfter());
    AtomicLong nanos = new AtomicLong();
    Readiness readiness = DriverCommand.apiServerReadiness(defaults, nanos::get, new Paused());
    readiness.check();
    nanos.set(Duration.ofDays(1).toNanos());
    assertEquals(new Readiness.Report(true, "api-server: ok\n"), readiness.check());
  }

  @Test
  void aNegativeSettingStopsTheDriverAtStart() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings("sscsi.driver.watch-stale-after = -1m"));
    assertTrue(e.getMessage().contains("watch-stale-after"), e.getMessage());
  }
}
