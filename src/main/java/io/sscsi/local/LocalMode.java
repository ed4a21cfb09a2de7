package io.sscsi.local;

import com.typesafe.config.Config;
import io.sscsi.fs.DirectoryMounter;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.Mounter;
import io.sscsi.fs.TmpfsOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver without a cluster ({@code driver --local-classes DIR}): SecretProviderClasses come
 * from manifests in a directory ({@link LocalProviderClassSource}) and pod statuses go to JSON
 * files in a state directory ({@link LocalPodStatusStore}, {@code --local-state}, default a fresh
 * temporary directory). Nothing talks to an API server, so SecretProviderClassPodStatus objects and
 * Secret sync are off; {@link #announce} says so in one log line. Restart recovery is the cluster's,
 * with the status files as this node's list of volumes (so it needs the same {@code --local-state}). Also chooses the mounter: tmpfs
 * through jnr, or with {@code --no-tmpfs} (local mode only) plain directories on disk.
 */
public final class LocalMode {
  private static final Logger LOG = LoggerFactory.getLogger(LocalMode.class);

  private final LocalProviderClassSource classes;
  private final LocalPodStatusStore statuses;
  private final Path stateDir;

  private LocalMode(Path classesDir, Path stateDir) {
    this.classes = new LocalProviderClassSource(classesDir);
    this.statuses = new LocalPodStatusStore(stateDir);
    this.stateDir = stateDir;
  }

  /**
   * Local mode when {@code sscsi.driver.local-classes} is set.
   *
   * @throws IllegalArgumentException when the directory does not exist or the state directory
   *     cannot be created
   */
  public static Optional<LocalMode> from(Config root) {
    Config c = root.getConfig("sscsi.driver");
    String dir = c.getString("local-classes").trim();
    if (dir.isEmpty()) {
      return Optional.empty();
    }
    Path classesDir = Path.of(dir).toAbsolutePath().normalize();
    if (!Files.isDirectory(classesDir)) {
      throw new IllegalArgumentException("--local-classes " + dir + " is not a directory");
    }
    String state = c.getString("local-state").trim();
    Path stateDir;
    try {
      stateDir = state.isEmpty() ? Files.createTempDirectory("sscsi-local-state-")
          : Files.createDirectories(Path.of(state).toAbsolutePath().normalize());
    } catch (IOException e) {
      throw new IllegalArgumentException("--local-state " + state + " cannot be created: " + e.getMessage());
    }
    return Optional.of(new LocalMode(classesDir, stateDir));
  }

  /**
   * The volume mounter {@code sscsi.driver.tmpfs} asks for, with {@code --tmpfs-mount-options}.
   *
   * @throws IllegalArgumentException for {@code --no-tmpfs} outside local mode, or a bad mount option
   */
  public static Mounter mounter(Config root, Optional<LocalMode> local) {
    if (root.getBoolean("sscsi.driver.tmpfs")) {
      return new JnrMounter(TmpfsOptions.parse(root.getString("sscsi.driver.tmpfs-mount-options")));
    }
    if (local.isEmpty()) {
      throw new IllegalArgumentException(
          "--no-tmpfs is for laptops and demos only and needs --local-classes: on a node secrets must stay in memory");
    }
    LOG.warn("--no-tmpfs: volumes are plain directories, so secret content is written to disk (laptop/demo only)");
    return new DirectoryMounter();
  }

  public LocalProviderClassSource classes() {
    return classes;
  }

  public LocalPodStatusStore statuses() {
    return statuses;
  }


  /** Logs the one line that says what local mode turns off, then loads the manifests once. */
  public void announce() {
    LOG.info("local mode: SecretProviderClasses from {} (re-read when they change), pod status files in {};"
        + " no Kubernetes API server is used, so SecretProviderClassPodStatus objects and Secret sync are off",
        classes.directory(), stateDir);
    try {
      classes.refresh();
    } catch (RuntimeException e) {
      LOG.warn("{}", e.getMessage());
    }
  }
}
