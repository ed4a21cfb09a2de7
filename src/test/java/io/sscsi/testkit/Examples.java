package io.sscsi.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The repository's {@code examples/} for tests that run a README command as a process: a copy in the
 * test's own directory, so that the command's relative paths work there and the original stays untouched.
 */
public final class Examples {
  private Examples() {}

  /** Copies {@code examples/} (from the module's directory) to {@code dir/examples}; returns the copy. */
  public static Path copyInto(Path dir) throws IOException {
    Path source = Path.of("examples").toAbsolutePath();
    Path examples = dir.resolve("examples");
    try (Stream<Path> walk = Files.walk(source)) {
      for (Path p : walk.sorted().toList()) {
        Path dest = examples.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest);
        }
      }
    }
    return examples;
  }
}
