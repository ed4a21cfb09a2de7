package io.sscsi.cli;

import io.sscsi.fileprovider.FileProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sscsi provider file}: serves the files under {@code --root} as a v1alpha1 provider on its
 * own unix socket ({@link FileProvider}) until SIGTERM or SIGINT, which close the socket. The
 * socket's basename is the provider name a SecretProviderClass uses in {@code spec.provider}.
 */
@Command(name = "file", mixinStandardHelpOptions = true,
    description = "Serve objects from files under a root directory (a v1alpha1 provider on a unix socket)")
public final class FileProviderCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(FileProviderCommand.class);

  @Option(names = "--root", required = true, paramLabel = "DIR", description = "directory holding the objects")
  Path root;

  @Option(names = "--endpoint", defaultValue = "unix:///var/run/secrets-store-csi-providers/file.sock",
      converter = SocketEndpoint.class,
      description = "socket to serve on; its basename is the provider name (default: ${DEFAULT-VALUE})")
  Path socket;

  @Override
  public Integer call() throws InterruptedException {
    if (!Files.isDirectory(root)) {
      System.err.println("sscsi provider file: --root " + root + " is not a directory");
      return 2;
    }
    FileProvider provider;
    try {
      provider = FileProvider.serve(root, socket);
    } catch (IOException e) {
      System.err.println("sscsi provider file: " + e.getMessage());
      return 1;
    }
    String name = socket.getFileName().toString().replaceFirst("\\.sock$", "");
    LOG.info("file provider \"{}\" serving objects under {} on unix://{}", name, provider.root(), provider.socket());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      provider.close();
      stopped.countDown();
    }, "file-provider-shutdown"));
    stopped.await();
    return 0;
  }
}
