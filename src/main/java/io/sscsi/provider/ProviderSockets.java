package io.sscsi.provider;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds a provider's unix socket: {@code <dir>/<provider>.sock} in the first directory that has it
 * (upstream's search order). Blocking (a stat per directory): the registry runs it once per
 * provider, and a pool's channel runs it when it connects ({@link ProviderSocketResolver}).
 */
public final class ProviderSockets {
  private ProviderSockets() {}

  /** The socket of {@code provider} in the first directory that has one, if any does. */
  public static Optional<Path> find(ProviderName provider, List<Path> dirs) {
    for (Path dir : dirs) {
      Path socket = dir.resolve(provider.socketFileName());
      if (Files.exists(socket)) {
        return Optional.of(socket);
      }
    }
    return Optional.empty();
  }

  /**
   * The socket of {@code provider}.
   *
   * @throws DriverException PROVIDER_NOT_FOUND when no directory has it
   */
  public static Path locate(ProviderName provider, List<Path> dirs) {
    return find(provider, dirs).orElseThrow(() -> new DriverException(
        FailureKind.PROVIDER_NOT_FOUND,
        "provider " + provider + " not found: no " + provider.socketFileName() + " in " + dirs
            + " (is the provider installed on this node?)"));
  }
}
