package io.sscsi.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.cli.Jvm;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The driver as its own OS process (cluster mode, against the mock API server through a kubeconfig,
 * or local mode, from manifests and status files), with its admin and metrics endpoints on ports the
 * kernel picks (port 0), found again in /proc, and its output captured in a log file under the root.
 * A start returns once the driver answers GetPluginInfo on its socket and serves both HTTP ports.
 * {@link #kill()} is SIGKILL, {@link #terminate()} SIGTERM. Tests usually get one through a
 * {@link DriverNode}, which owns the directories and cleans up.
 */
public final class DriverChild implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  public final Path socket;
  public final Path log;
  private final Process process;
  public int adminPort;
  public int metricsPort;

  private DriverChild(Path socket, Path log, Process process) {
    this.socket = socket;
    this.log = log;
    this.process = process;
  }

  /** A kubeconfig for the mock API server at {@code masterUrl}, written under {@code root}. */
  public static Path kubeconfig(Path root, String masterUrl) throws Exception {
    Path kubeconfig = root.resolve("kubeconfig");
    Files.writeString(kubeconfig, String.join("\n", "apiVersion: v1", "kind: Config",
        "clusters: [{name: mock, cluster: {server: '" + masterUrl + "'}}]",
        "users: [{name: driver, user: {token: test}}]",
        "contexts: [{name: mock, context: {cluster: mock, user: driver}}]", "current-context: mock", ""));
    return kubeconfig;
  }

  /**
   * Starts {@code sscsi driver} for node-1 with its socket at {@code root/csi/csi.sock}, providers in
   * {@code providers}, kubelet's directory {@code root}, then {@code flags} (the mode's and the test's),
   * and waits until it answers GetPluginInfo and serves its two HTTP ports.
   */
  static DriverChild launch(Path root, Path providers, String logName, String... flags) throws Exception {
    Path socket = root.resolve("csi/csi.sock");
    List<String> args = new ArrayList<>(List.of("driver", "--endpoint=unix://" + socket, "--nodeid=node-1",
        "--provider-volume=" + providers, "--additional-provider-volume-paths=",
        "--kubelet-dir=" + root, "--admin-addr=127.0.0.1:0", "--metrics-addr=127.0.0.1:0"));
    args.addAll(List.of(flags));
    Path log = root.resolve(logName);
    DriverChild driver = new DriverChild(socket, log, Jvm.start(log, "io.sscsi.Main", args.toArray(String[]::new)));
    try {
      driver.awaitReady();
    } catch (Exception | AssertionError notReady) {
      driver.close();
      throw notReady;
    }
    return driver;
  }

  private void awaitReady() throws Exception {
    Await.until("the driver answers GetPluginInfo and serves its two HTTP ports", Duration.ofSeconds(180),
        this::readyOrDead);
  }

  private boolean answers;

  /** Whether the driver answers on its socket and listens on its HTTP ports; fails when it exited. */
  private boolean readyOrDead() throws Exception {
    assertTrue(process.isAlive(), "driver exited: " + Jvm.log(log));
    if (!answers && Files.exists(socket)) {
      try (CsiClient csi = new CsiClient(socket)) {
        csi.call(CsiMethods.GET_PLUGIN_INFO, GetPluginInfoRequest.getDefaultInstance());
        answers = true;
      } catch (RuntimeException notYet) {
        // the socket file may exist before the server answers
      }
    }
    return answers && findHttpPorts();
  }

  /**
   * The driver's two TCP listeners (it opens no other): the one serving {@code /volumes} is the
   * admin endpoint, the other the metrics endpoint. Read from /proc, so no port is ever guessed.
   */
  private boolean findHttpPorts() throws Exception {
    List<Integer> ports = listeningPorts(process.pid());
    if (ports.size() != 2) {
      return false;
    }
    boolean firstIsAdmin = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(0) + "/volumes"))
        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    adminPort = firstIsAdmin ? ports.get(0) : ports.get(1);
    metricsPort = firstIsAdmin ? ports.get(1) : ports.get(0);
    return true;
  }

  /** Ports of the TCP sockets process {@code pid} listens on: its socket inodes matched in /proc/net/tcp{,6}. */
  public static List<Integer> listeningPorts(long pid) throws Exception {
    java.util.Set<String> inodes = new java.util.HashSet<>();
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String link = Files.readSymbolicLink(fd).toString();
          if (link.startsWith("socket:[")) {
            inodes.add(link.substring(8, link.length() - 1));
          }
        } catch (java.io.IOException closed) {
          // the descriptor closed meanwhile
        }
      }
    }
    List<Integer> ports = new ArrayList<>();
    for (String table : List.of("tcp", "tcp6")) {
      List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", table));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
          ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
        }
      }
    }
    return ports;
  }

  /** SIGKILL: no shutdown hook, no unpublish. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM: the driver's shutdown hook runs; waits until it has exited and returns its exit code. */
  public int terminate() throws InterruptedException {
    process.destroy();
    return process.waitFor();
  }

  /** What the driver has written to its log so far. */
  public String logText() {
    return Jvm.log(log);
  }

  public String get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Polls {@code path} on the admin endpoint until the body satisfies {@code ok}; returns it. */
  public String awaitAdmin(String path, Predicate<String> ok, Duration within) throws Exception {
    return await(adminPort, path, ok, within);
  }

  /** Polls {@code /metrics} until the body satisfies {@code ok}; returns it. */
  public String awaitMetrics(Predicate<String> ok) throws Exception {
    return await(metricsPort, "/metrics", ok, Duration.ofSeconds(20));
  }

  private String await(int port, String path, Predicate<String> ok, Duration within) {
    return Await.value(path + " matches", within, () -> get(port, path), ok);
  }

  @Override
  public void close() throws InterruptedException {
    Jvm.kill(process);
  }

  /** After a test: unmounts whatever is still mounted under {@code root} and deletes it. */
  public static void removeRoot(Path root) throws java.io.IOException {
    io.sscsi.fs.JnrMounter mounter = new io.sscsi.fs.JnrMounter();
    new io.sscsi.fs.MountTable().under(root).forEach(m -> mounter.unmount(m.mountPoint()));
    try (var walk = Files.walk(root)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
