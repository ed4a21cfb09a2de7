package io.sscsi.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One node for tests that run the driver as its own process across kills and restarts: a fresh root
 * directory (kubelet's directory, the CSI socket under {@code csi/}, driver logs), a provider socket
 * directory {@link #providers}, and the driver's mode (a kubeconfig for the mock API server, or local
 * mode's class manifests and status files). {@link #start} starts a driver on it and keeps it as the
 * current one; {@link #close} stops the current driver, unmounts whatever is left under the root and
 * deletes it.
 */
public final class DriverNode implements AutoCloseable {
  public final Path root;
  public final Path providers;
  private final String[] modeArgs;
  private DriverChild current;

  private DriverNode(Path root, String... modeArgs) throws Exception {
    this.root = root;
    this.providers = Files.createDirectories(root.resolve("providers"));
    this.modeArgs = modeArgs;
  }

  /** A node whose driver talks to the (mock) API server at {@code masterUrl} through a kubeconfig. */
  public static DriverNode cluster(String prefix, String masterUrl) throws Exception {
    Path root = Files.createTempDirectory(prefix);
    return new DriverNode(root, "--kubeconfig=" + DriverChild.kubeconfig(root, masterUrl));
  }

  /**
   * A node in local mode: SecretProviderClass manifests from {@link #classes()}, pod status files in
   * {@link #state()} (kept across restarts), no API server.
   */
  public static DriverNode local(String prefix) throws Exception {
    Path root = Files.createTempDirectory(prefix);
    Files.createDirectories(root.resolve("classes"));
    return new DriverNode(root, "--local-classes=" + root.resolve("classes"), "--local-state=" + root.resolve("state"));
  }

  /** Local mode's manifest directory. */
  public Path classes() {
    return root.resolve("classes");
  }

  /** Local mode's status files. */
  public Path state() {
    return root.resolve("state");
  }

  /**
   * Starts {@code sscsi driver} with {@code flags} after the node's own, logging to {@code root/logName};
   * returns once it answers and serves its HTTP ports. The driver before it must have been killed
   * or terminated.
   */
  public DriverChild start(String logName, String... flags) throws Exception {
    String[] args = new String[modeArgs.length + flags.length];
    System.arraycopy(modeArgs, 0, args, 0, modeArgs.length);
    System.arraycopy(flags, 0, args, modeArgs.length, flags.length);
    current = DriverChild.launch(root, providers, logName, args);
    return current;
  }

  @Override
  public void close() throws Exception {
    try {
      if (current != null) {
        current.close();
      }
    } finally {
      DriverChild.removeRoot(root);
    }
  }
}
