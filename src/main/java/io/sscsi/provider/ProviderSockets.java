package io.sscsi.provider;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Finds a provider's unix socket: {@code <dir>/<provider>.sock} in the first directory that has it. */
public final class ProviderSockets {
  private static final Pattern NAME = Pattern.compile("^[a-zA-Z0-9_-]{0,30}$");

  private ProviderSockets() {}

  /** Upstream's provider-name rule; the name becomes a file name, so nothing else may pass. */
  public static boolean validName(String provider) {
    return provider != null && NAME.matcher(provider).matches();
  }

  /**
   * The socket of {@code provider}.
   *
   * @throws DriverException SPC_INVALID for a bad name, PROVIDER_NOT_FOUND when no directory has it
   */
  public static Path locate(String provider, List<Path> dirs) {
    if (!validName(provider)) {
      throw new DriverException(
          FailureKind.SPC_INVALID,
          "invalid provider name \"" + provider + "\": it must match " + NAME.pattern());
    }
    for (Path dir : dirs) {
      Path socket = dir.resolve(provider + ".sock");
      if (Files.exists(socket)) {
        return socket;
      }
    }
    throw new DriverException(
        FailureKind.PROVIDER_NOT_FOUND,
        "provider " + provider + " not found: no " + provider + ".sock in " + dirs
            + " (is the provider installed on this node?)");
  }
}
