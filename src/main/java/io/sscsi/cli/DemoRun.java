package io.sscsi.cli;

import io.sscsi.fs.Mounter;
import io.sscsi.fs.TargetDirCleaner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What {@code sscsi demo} started and must take down again: its child processes (same java binary
 * and classpath as this process, output to a log file each), the volume target it published into,
 * and its scratch directory. {@link #stop} runs at the end of the demo and from the shutdown hook
 * on Ctrl-C or SIGTERM, whichever comes first; it is idempotent: children get SIGTERM, then SIGKILL
 * after a grace period, then the target is unmounted and removed (the driver never unmounts on
 * exit, so this is what guarantees no mount is left), then the scratch directory is deleted. Once
 * stopping, no new child can be started.
 */
final class DemoRun {
  private static final Duration GRACE = Duration.ofSeconds(5);
  static final List<String> CHILD_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m");

  /** A started child. */
  record Child(String name, Process process, Path log) {}

  private final Path work;
  private final Path target;
  private final Mounter mounter;
  private final List<Child> children = new ArrayList<>();
  private boolean stopping;
  private boolean stopped;
  private boolean targetUsed;

  DemoRun(Path work, Path target, Mounter mounter) {
    this.work = work;
    this.target = target;
    this.mounter = mounter;
  }

  /** Starts {@code sscsi <args>} as a child process logging to {@code <work>/<name>.log}. */
  Child start(String name, List<String> args) throws IOException {
    return start(name, List.of(), args);
  }

  /** As {@link #start(String, List)}, with {@code jvmOptions} (system properties) for the child's JVM. */
  synchronized Child start(String name, List<String> jvmOptions, List<String> args) throws IOException {
    if (stopping) {
      throw new IllegalStateException("the demo is stopping");
    }
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(CHILD_JVM_OPTIONS);
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.sscsi.Main");
    command.addAll(args);
    Path log = work.resolve(name + ".log");
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .start();
    Child child = new Child(name, process, log);
    children.add(child);
    return child;
  }

  /** Records that the target may now hold a mount, so that {@link #stop} cleans it. */
  synchronized void useTarget() {
    targetUsed = true;
  }

  synchronized boolean isStopping() {
    return stopping;
  }

  /**
   * Waits until {@code probe} succeeds against the child's socket.
   *
   * @throws CliFailure UNAVAILABLE when the child exits first or {@code max} passes
   */
  void awaitReady(Child child, String what, Path socket, Consumer<SocketClient> probe, Duration max)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    CliFailure last = null;
    while (System.nanoTime() < deadline) {
      if (!child.process().isAlive()) {
        throw new CliFailure(io.grpc.Status.Code.UNAVAILABLE, "the " + what + " exited with code "
            + child.process().exitValue() + " before serving " + socket + "; its log " + child.log() + " ends:\n"
            + tail(child.log(), 15));
      }
      if (Files.exists(socket)) {
        try (SocketClient client = SocketClient.open(what, socket)) {
          probe.accept(client);
          return;
        } catch (CliFailure f) {
          last = f;
        }
      }
      Thread.sleep(100);
    }
    throw new CliFailure(io.grpc.Status.Code.DEADLINE_EXCEEDED, "the " + what + " did not answer on " + socket
        + " within " + max.toSeconds() + " s" + (last == null ? "" : " (" + last.getMessage() + ")"));
  }

  /**
   * Stops everything; returns what could not be cleaned (empty when all is gone). Idempotent.
   *
   * @return null when it had already run
   */
  synchronized List<String> stop() {
    if (stopped) {
      return null;
    }
    stopping = true;
    List<String> problems = new ArrayList<>();
    children.forEach(c -> c.process().destroy());
    for (Child c : children) {
      try {
        if (!c.process().waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          c.process().destroyForcibly().waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        c.process().destroyForcibly();
        Thread.currentThread().interrupt();
      }
      if (c.process().isAlive()) {
        problems.add("the " + c.name() + " (pid " + c.process().pid() + ") did not stop");
      }
    }
    if (targetUsed) {
      try {
        new TargetDirCleaner().cleanup(target, mounter);
      } catch (RuntimeException e) {
        problems.add("cannot clean " + target + ": " + e.getMessage());
      }
    }
    try {
      io.sscsi.fs.TreeDeleter.deleteTree(work);
    } catch (IOException e) {
      problems.add("cannot delete " + work + ": " + e.getMessage());
    }
    stopped = true;
    return problems;
  }

  /** The last {@code lines} lines of a log, indented. */
  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "    " + String.join("\n    ", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "    (cannot read " + log + ": " + e.getMessage() + ")";
    }
  }
}
