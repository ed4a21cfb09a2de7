package io.sscsi.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Child JVMs for process tests: the same java binary and classpath as the test JVM, so {@code
 * java -cp <classpath> io.sscsi.Main ...} runs the same code as {@code java -jar target/sscsi.jar}
 * (which does not exist yet when tests run, before the package phase).
 */
public final class Jvm {
  private Jvm() {}

  /** What a finished CLI process printed. */
  record Result(int exit, String out, String err, Duration took) {
    List<String> errLines() {
      return err.isEmpty() ? List.of() : List.of(err.split("\n"));
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  static List<String> command(String mainClass, String... args) {
    List<String> c = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElseThrow(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m"));
    c.addAll(quietRuntimeFlags());
    c.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    c.addAll(Arrays.asList(args));
    return c;
  }

  /**
   * What the jar's manifest (Enable-Native-Access) and the image (JDK_JAVA_OPTIONS) give the driver on
   * a newer runtime, for children started with {@code -cp}: without them JDK 22+ prints native-access
   * and sun.misc.Unsafe warnings on stderr, which the CLI's one-line error contract forbids.
   */
  public static List<String> quietRuntimeFlags() {
    int feature = Runtime.version().feature();
    List<String> flags = new ArrayList<>();
    if (feature >= 22) {
      flags.add("--enable-native-access=ALL-UNNAMED");
    }
    if (feature >= 23) {
      flags.add("--sun-misc-unsafe-memory-access=allow");
    }
    return flags;
  }

  /** Starts a long-running child writing stdout and stderr to {@code log}. */
  public static Process start(Path log, String mainClass, String... args) throws IOException {
    return new ProcessBuilder(command(mainClass, args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** As {@link #start(Path, String, String...)}, with {@code env} added to the child's environment. */
  public static Process start(Path log, java.util.Map<String, String> env, String mainClass, String... args)
      throws IOException {
    ProcessBuilder b = new ProcessBuilder(command(mainClass, args)).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    b.environment().putAll(env);
    return b.start();
  }

  /** Runs {@code sscsi <args>} in {@code cwd} to completion. */
  static Result sscsi(Path cwd, Duration timeout, String... args) throws IOException, InterruptedException {
    Path out = Files.createTempFile("sscsi-cli-", ".out");
    Path err = Files.createTempFile("sscsi-cli-", ".err");
    long start = System.nanoTime();
    Process p = new ProcessBuilder(command("io.sscsi.Main", args)).directory(cwd.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    try {
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        fail("sscsi " + String.join(" ", args) + " did not finish within " + timeout + "\n" + Files.readString(out)
            + Files.readString(err));
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err),
          Duration.ofNanos(System.nanoTime() - start));
    } finally {
      kill(p);
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  public static void kill(Process p) throws InterruptedException {
    if (p != null) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  public static String log(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "(no log)";
    } catch (IOException e) {
      return "(cannot read " + log + ")";
    }
  }
}
