package io.sscsi.provider;

import io.sscsi.retry.Backoff;
import io.sscsi.fs.PayloadRules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the driver talks to providers.
 *
 * @param socketDirs directories searched for {@code <provider>.sock}, in order
 *     ({@code --additional-provider-volume-paths} first, then {@code --provider-volume})
 * @param maxInFlight calls in flight per provider (calls the pool runs at once on its channel)
 * @param maxQueued calls waiting per provider; beyond it a call fails with RESOURCE_EXHAUSTED
 * @param callTimeout the longest one Mount call may take, queueing included. A call kubelet made
 *     ends at kubelet's own deadline (less a margin to answer in) when that comes first; the
 *     default (2 minutes, kubelet's CSI operation timeout) leaves kubelet's deadline in charge, as
 *     upstream does. Refreshes nobody waits for (timer, class or Secret change) use it as their deadline.
 * @param maxReceiveBytes {@code --max-call-recv-msg-size}
 * @param breakerMaxFailures consecutive UNAVAILABLE or DEADLINE_EXCEEDED calls that open a provider's circuit
 * @param breakerResetTimeout how long an open circuit fails calls at once before one trial call
 * @param healthCheckInterval {@code --provider-health-check-interval} when {@code --provider-health-check}
 *     is on, else null
 * @param reconnect while calls wait for an unreachable provider, how often its socket is dialled
 *     again (upstream: 1 s growing to 10 s)
 * @param payloadPolicy how file modes outside {@code 0..0777} and duplicate paths are treated
 *     ({@code --strict-payload})
 */
public record ProviderSettings(List<Path> socketDirs, int maxInFlight, int maxQueued, Duration callTimeout,
    int maxReceiveBytes, int breakerMaxFailures, Duration breakerResetTimeout, Duration healthCheckInterval,
    Backoff reconnect, PayloadRules.Policy payloadPolicy) {

  /** With upstream's payload policy. */
  public ProviderSettings(List<Path> socketDirs, int maxInFlight, int maxQueued, Duration callTimeout,
      int maxReceiveBytes, int breakerMaxFailures, Duration breakerResetTimeout, Duration healthCheckInterval,
      Backoff reconnect) {
    this(socketDirs, maxInFlight, maxQueued, callTimeout, maxReceiveBytes, breakerMaxFailures, breakerResetTimeout,
        healthCheckInterval, reconnect, PayloadRules.Policy.UPSTREAM);
  }

  /** Upstream's reconnect backoff: 1 s, growing by 1.6 per attempt, at most 10 s. */
  public static final Backoff UPSTREAM_RECONNECT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10), 1.6);

  /** With the default circuit breaker (5 failures, 10 s), upstream's reconnect backoff and no health check. */
  public ProviderSettings(List<Path> socketDirs, int maxInFlight, int maxQueued, Duration callTimeout,
      int maxReceiveBytes) {
    this(socketDirs, maxInFlight, maxQueued, callTimeout, maxReceiveBytes, 5, Duration.ofSeconds(10), null,
        UPSTREAM_RECONNECT);
  }

  public ProviderSettings {
    if (breakerMaxFailures < 1) {
      throw new IllegalArgumentException("provider circuit-breaker max-failures must be >= 1");
    }
    socketDirs = List.copyOf(socketDirs);
    if (socketDirs.isEmpty()) {
      throw new IllegalArgumentException("at least one provider directory is needed");
    }
    if (maxInFlight < 1 || maxQueued < 0) {
      throw new IllegalArgumentException("provider max-in-flight must be >= 1 and max-queued >= 0");
    }
    if (callTimeout.isNegative() || callTimeout.isZero()) {
      throw new IllegalArgumentException("provider call-timeout must be positive, got " + callTimeout);
    }
  }
}
