package io.sscsi.provider;

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
 */
public record ProviderSettings(
    List<Path> socketDirs, int maxInFlight, int maxQueued, Duration callTimeout, int maxReceiveBytes) {
  public ProviderSettings {
    socketDirs = List.copyOf(socketDirs);
    if (maxInFlight < 1 || maxQueued < 0) {
      throw new IllegalArgumentException("provider max-in-flight must be >= 1 and max-queued >= 0");
    }
  }
}
