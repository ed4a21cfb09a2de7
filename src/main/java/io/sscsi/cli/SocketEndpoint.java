package io.sscsi.cli;

import io.sscsi.grpc.UnixChannels;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code --endpoint} of every subcommand that dials or serves a socket: {@code unix:///abs/path},
 * {@code unix://rel/path} or a bare path ({@link UnixChannels#socketPath}). A bad value is a usage
 * error: picocli prints one line and the command exits 2, before it runs.
 */
public final class SocketEndpoint implements ITypeConverter<Path> {
  @Override
  public Path convert(String value) {
    try {
      return UnixChannels.socketPath(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
