package io.sscsi.provider;

import io.sscsi.fs.PayloadRules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the driver talks to providers.
 *
 * @param socketDirs directories searched for {@code <provider>.sock}, in order
 *     ({@code --additional-provider-volume-paths} first, then {@code --provider-volume})
 * @param maxInFlight calls in flight per provider (the number of ProviderClient actors)
 * @param maxQueued calls waiting per provider; beyond it a call fails with RESOURCE_EXHAUSTED
 * @param callTimeout deadline of one Mount call, shorter than kubelet's 2-minute operation limit
 * @param maxReceiveBytes {@code --max-call-recv-msg-size}
 * @param breakerMaxFailures consecutive UNAVAILABLE or DEADLINE_EXCEEDED calls that open a provider's circuit
 * @param breakerResetTimeout how long an open circuit fails calls at once before one trial call
 * @param healthCheckInterval {@code --provider-health-check-interval} when {@code --provider-health-check}
 *     is on, else null
 * @param payloadPolicy how file modes outside {@code 0..0777} and duplicate paths are treated
 *     ({@code --strict-payload})
 */
public record ProviderSettings(List<Path> socketDirs, int maxInFlight, int maxQueued, Duration callTimeout,
    int maxReceiveBytes, int breakerMaxFailures, Duration breakerResetTimeout, Duration healthCheckInterval,
    PayloadRules.Policy payloadPolicy) {

  /** With upstream's payload policy. */
  public ProviderSettings(List<Path> socketDirs, int maxInFlight, int maxQueued, Duration callTimeout,
      int maxReceiveBytes, int breakerMaxFailures, Duration breakerResetTimeout, Duration healthCheckInterval) {
    this(socketDirs, maxInFlight, maxQueued, callTimeout, maxReceiveBytes, breakerMaxFailures, breakerResetTimeout,
        healthCheckInterval, PayloadRules.Policy.UPSTREAM);
  }

  /** With the default circuit breaker (5 failures, 10 s) and no health check. */
  public ProviderSettings(List<Path> socketDirs, int maxInFlight, int maxQueued, Duration callTimeout,
      int maxReceiveBytes) {
    this(socketDirs, maxInFlight, maxQueued, callTimeout, maxReceiveBytes, 5, Duration.ofSeconds(10), null);
  }

  public ProviderSettings {
    if (breakerMaxFailures < 1) {
      throw new IllegalArgumentException("provider circuit-breaker max-failures must be >= 1");
    }
    socketDirs = List.copyOf(socketDirs);
    if (maxInFlight < 1 || maxQueued < 0) {
      throw new IllegalArgumentException("provider max-in-flight must be >= 1 and max-queued >= 0");
    }
  }
}
