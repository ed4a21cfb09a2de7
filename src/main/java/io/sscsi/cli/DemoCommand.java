package io.sscsi.cli;

import com.sun.security.auth.module.UnixSystem;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.fileprovider.FileProvider;
import io.sscsi.fs.DirectoryMounter;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.local.LocalPodStatusStore;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.status.PodStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sscsi demo}: the driver's main job on this machine, no cluster. Starts the bundled file
 * provider and the driver in local mode as child processes on temporary sockets, then plays kubelet
 * through the CLI's client: publishes a volume for the class in {@code examples/classes} into
 * {@code ./demo-mount} (a real tmpfs when root, else a plain directory with a warning), prints the
 * files (values hidden unless {@code --show-values}) and the object versions from the pod status the
 * driver wrote, changes one source secret (in a scratch copy; examples/ is never modified),
 * unpublishes and publishes again to show the new version, unpublishes, and stops its children.
 * Ctrl-C at any point leaves no mount and no child behind ({@link DemoRun}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Publish a secrets volume here with the driver and the file provider, no cluster needed")
public final class DemoCommand implements Callable<Integer> {
  static final String NAMESPACE = "default";
  static final String POD = "demo-pod";
  static final String SERVICE_ACCOUNT = "default";
  static final String PROVIDER = "file";
  static final String CHANGED_OBJECT = "db-password";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);
  /** The demo driver's --rotation-poll-interval: short, so the republish shows a refetch. */
  private static final Duration ROTATION_INTERVAL = Duration.ofSeconds(1);

  @Option(names = "--examples", defaultValue = "examples", paramLabel = "DIR",
      description = "holds classes/ (SecretProviderClass manifests) and secrets/ (the source files) (default: ${DEFAULT-VALUE})")
  Path examples;

  @Option(names = "--mount", defaultValue = "demo-mount", paramLabel = "DIR",
      description = "where the volume is published (default: ./${DEFAULT-VALUE})")
  Path mount;

  @Option(names = "--class", defaultValue = "demo-app", paramLabel = "SPC",
      description = "the SecretProviderClass to publish (default: ${DEFAULT-VALUE})")
  String className;

  @Option(names = "--show-values", description = "print the (fake) secret values")
  boolean showValues;

  @Option(names = "--pause", description = "after the first publish, wait for Enter so the volume can be inspected")
  boolean pause;

  @Spec
  CommandSpec spec;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    long start = System.nanoTime();
    out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path classes = examples.resolve("classes");
    Path secrets = examples.resolve("secrets");
    if (!Files.isDirectory(classes) || !Files.isDirectory(secrets)) {
      err.println("sscsi demo: no " + classes + "/ and " + secrets + "/ here (" + Path.of("").toAbsolutePath()
          + "): run it from the repository root or pass --examples DIR");
      return 2;
    }
    Path target = mount.toAbsolutePath().normalize();
    Optional<String> inTheWay = inTheWay(target);
    if (inTheWay.isPresent()) {
      err.println("sscsi demo: " + target + " " + inTheWay.get() + "; remove it first ("
          + (inTheWay.get().contains("mount point") ? "umount " + target + "; " : "") + "rm -r " + target + ")");
      return 1;
    }
    boolean root = new UnixSystem().getUid() == 0;
    Path work = Files.createTempDirectory("sscsi-demo-");
    DemoRun run = new DemoRun(work, target, root ? new JnrMounter() : new DirectoryMounter());
    Thread hook = new Thread(() -> {
      List<String> problems = run.stop();
      if (problems != null) {
        out.println();
        out.println("sscsi demo: interrupted: stopped the driver and the provider"
            + (problems.isEmpty() ? ", nothing left mounted at " + target : "; " + String.join("; ", problems)));
        out.flush();
      }
    }, "sscsi-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      demo(run, work, classes, secrets, target, root);
      List<String> problems = run.stop();
      if (problems != null && !problems.isEmpty()) {
        err.println("sscsi demo: " + String.join("; ", problems));
        return 1;
      }
      out.printf("done in %.1f s: stopped the provider and the driver, removed %s%n",
          (System.nanoTime() - start) / 1e9, work);
      return 0;
    } catch (IOException | RuntimeException e) {
      if (!run.isStopping()) {
        out.flush();
        err.println(e instanceof CliFailure f ? "sscsi demo: " + f.code() + ": " + f.getMessage()
            : "sscsi demo: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      }
      return 1;
    } finally {
      run.stop();
      out.flush();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run
      }
    }
  }

  private void demo(DemoRun run, Path work, Path classes, Path secrets, Path target, boolean root)
      throws IOException, InterruptedException {
    Path source = work.resolve("secrets");
    copyTree(secrets, source);
    Path providerSocket = work.resolve("providers").resolve(PROVIDER + ".sock");
    Path driverSocket = work.resolve("csi.sock");
    Path state = work.resolve("state");
    out.println("sscsi demo: a secrets volume published on this machine as kubelet would on a node, no cluster");
    if (!root) {
      out.println("  warning: not root, so the driver cannot mount a tmpfs: " + target + " is a plain directory"
          + " and the demo's fake secrets are written to disk (--no-tmpfs)");
    }
    DemoRun.Child provider = run.start("provider", List.of("provider", "file", "--root", source.toString(),
        "--endpoint", "unix://" + providerSocket));
    List<String> driverArgs = new ArrayList<>(List.of("driver", "--endpoint", "unix://" + driverSocket,
        "--nodeid", "demo-node", "--local-classes", classes.toAbsolutePath().toString(),
        "--local-state", state.toString(), "--provider-volume", providerSocket.getParent().toString(),
        "--additional-provider-volume-paths", "", "--enable-secret-rotation",
        "--rotation-poll-interval=" + ROTATION_INTERVAL.toMillis() + "ms", "--metrics-addr=", "--admin-addr="));
    if (!root) {
      driverArgs.add("--no-tmpfs");
    }
    // The volume's own rotation timer is off (a HOCON-only setting): kubelet's republish (step 3) is then
    // the one refresh, so it always fetches the changed secret. With the timer on, a loaded machine could
    // let the timer refresh before step 2's change, and the republish would fall within its interval.
    DemoRun.Child driver = run.start("driver", List.of("-Dsscsi.driver.rotation-timer=false"), driverArgs);
    run.awaitReady(provider, "provider", providerSocket, c -> c.call(ProviderMethods.VERSION,
        VersionRequest.newBuilder().setVersion("v1alpha1").build(), Duration.ofSeconds(2)), START_TIMEOUT);
    run.awaitReady(driver, "driver", driverSocket, c -> c.call(CsiMethods.GET_PLUGIN_INFO,
        GetPluginInfoRequest.getDefaultInstance(), Duration.ofSeconds(2)), START_TIMEOUT);
    out.println("  work dir  " + work + " (sockets, logs, pod status, a copy of " + secrets + ")");
    out.println("  provider  " + FileProvider.RUNTIME_NAME + " \"" + PROVIDER + "\" (pid " + provider.process().pid()
        + ") on unix://" + providerSocket);
    out.println("  driver    sscsi driver (pid " + driver.process().pid() + ") on unix://" + driverSocket
        + ", local mode, classes from " + classes);
    out.println();

    String podUid = UUID.randomUUID().toString();
    KubeletRequests.Pod pod = new KubeletRequests.Pod(POD, NAMESPACE, podUid, SERVICE_ACCOUNT);
    String volumeId = KubeletRequests.volumeHandle(podUid, KubeletRequests.volumeName(target));
    Path statusFile = LocalPodStatusStore.file(state, NAMESPACE, PodStatus.podStatusName(POD, NAMESPACE, className));
    try (SocketClient csi = SocketClient.open("driver", driverSocket)) {
      out.println("1. publish    NodePublishVolume: class " + NAMESPACE + "/" + className + ", pod " + NAMESPACE + "/"
          + POD + ", target " + target);
      run.useTarget();
      csi.call(CsiMethods.NODE_PUBLISH, KubeletRequests.publish(target, volumeId, className, pod, Optional.empty()),
          CALL_TIMEOUT);
      long publishedAt = System.nanoTime();
      printVolume(target, root);
      Map<String, String> before = LocalPodStatusStore.readVersions(statusFile);
      printVersions(statusFile, work, before, null);
      if (pause) {
        out.print("   paused: look at " + target + " from another shell; press Enter to go on (Ctrl-C cleans up) ");
        out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      }

      Path changed = changeOneSecret(source);
      out.println("2. change     rewrote " + source.relativize(changed) + " in the provider's copy (" + secrets
          + " is not touched)");

      out.println("3. republish  NodePublishVolume again, as kubelet repeats it (CSIDriver requiresRepublish): with"
          + " --enable-secret-rotation the driver refetches once the rotation interval (" + ROTATION_INTERVAL.toMillis()
          + " ms here) has passed");
      long wait = ROTATION_INTERVAL.toNanos() + 300_000_000L - (System.nanoTime() - publishedAt);
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000);
      }
      csi.call(CsiMethods.NODE_PUBLISH, KubeletRequests.publish(target, volumeId, className, pod, Optional.empty()),
          CALL_TIMEOUT);
      printVolume(target, root);
      printVersions(statusFile, work, LocalPodStatusStore.readVersions(statusFile), before);

      out.println("4. unpublish  NodeUnpublishVolume: target " + target);
      csi.call(CsiMethods.NODE_UNPUBLISH, KubeletRequests.unpublish(volumeId, target), CALL_TIMEOUT);
      List<MountEntry> left = new MountTable().under(target);
      if (!left.isEmpty() || Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new IllegalStateException(target + " is still there after unpublishing (" + left.size() + " mounts)");
      }
      out.println("   " + target + (root ? " is unmounted and removed; nothing is left mounted" : " is removed"));
    }
  }

  private void printVolume(Path target, boolean root) throws IOException {
    String kind = new MountTable().under(target).stream().filter(m -> m.mountPoint().equals(target))
        .map(m -> "a " + m.fsType() + " mounted by the driver").findFirst()
        .orElse(root ? "not a mount point (unexpected)" : "a plain directory on disk (not root: --no-tmpfs)");
    out.println("   " + target + " is " + kind + ", and holds:");
    MountedTree.render(MountedTree.list(target), showValues, "     ").forEach(out::println);
  }

  private void printVersions(Path statusFile, Path work, Map<String, String> now, Map<String, String> before) {
    out.println("   object versions, from the pod status the driver wrote (" + work.relativize(statusFile) + "):");
    int width = now.keySet().stream().mapToInt(String::length).max().orElse(0);
    for (Map.Entry<String, String> v : now.entrySet()) {
      String line = "     " + v.getKey() + " ".repeat(width - v.getKey().length()) + "  " + v.getValue();
      if (before != null) {
        String old = before.get(v.getKey());
        line = old == null ? line + "  new"
            : old.equals(v.getValue()) ? line + "  unchanged"
            : "     " + v.getKey() + " ".repeat(width - v.getKey().length()) + "  " + old + " -> " + v.getValue()
                + "  changed";
      }
      out.println(line);
    }
  }

  /** Rewrites {@value #CHANGED_OBJECT} (or the first file) of the provider's copy with a new fake value. */
  private static Path changeOneSecret(Path source) throws IOException {
    Path file = source.resolve(CHANGED_OBJECT);
    if (!Files.isRegularFile(file)) {
      try (Stream<Path> files = Files.walk(source)) {
        file = files.filter(Files::isRegularFile).sorted().findFirst()
            .orElseThrow(() -> new IOException("no source file to change in " + source));
      }
    }
    byte[] random = new byte[4];
    ThreadLocalRandom.current().nextBytes(random);
    Files.writeString(file, "demo-only-not-a-secret-rotated-" + HexFormat.of().formatHex(random) + "\n");
    return file;
  }

  /** Why {@code target} cannot be used, if it cannot: it must be missing or an empty, unmounted directory. */
  private static Optional<String> inTheWay(Path target) throws IOException {
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.of("exists and is not a directory");
    }
    if (!new MountTable().under(target).isEmpty()) {
      return Optional.of("is a mount point (left by an interrupted run?)");
    }
    try (Stream<Path> entries = Files.list(target)) {
      if (entries.findAny().isPresent()) {
        return Optional.of("exists and is not empty");
      }
    }
    return Optional.empty();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    TreeSet<Path> paths;
    try (Stream<Path> walk = Files.walk(from)) {
      paths = walk.collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
    for (Path p : paths) {
      Path dest = to.resolve(from.relativize(p).toString());
      if (Files.isDirectory(p)) {
        Files.createDirectories(dest);
      } else {
        Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
