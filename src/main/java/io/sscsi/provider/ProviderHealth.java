package io.sscsi.provider;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest provider health check results, written only by the {@link ProviderRegistry} and read
 * by {@code /readyz}: provider name to its problem, absent when its last Version call succeeded.
 */
public final class ProviderHealth {
  private final Map<String, String> problems = new ConcurrentHashMap<>();

  void healthy(String provider) {
    problems.remove(provider);
  }

  void unhealthy(String provider, String problem) {
    problems.put(provider, problem);
  }

  /** Empty when every checked provider answered; else one line naming each that did not. */
  public Optional<String> problem() {
    return problems.isEmpty() ? Optional.empty() : Optional.of(new TreeMap<>(problems).toString());
  }
}
