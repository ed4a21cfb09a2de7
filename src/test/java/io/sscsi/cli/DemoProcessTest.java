package io.sscsi.cli;

import io.sscsi.testkit.Integration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sscsi.fileprovider.ObjectFiles;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.Examples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's first command, {@code java -jar target/sscsi.jar demo}, run as a process in a directory
 * holding a copy of the repository's {@code examples/} (the same code, from the test classpath):
 * what it prints, that it finishes in time, and that it leaves no mount, no directory and no child
 * process behind, also when interrupted with Ctrl-C while its volume is mounted.
 */
@Integration
class DemoProcessTest {
  private static final Pattern PID = Pattern.compile("\\(pid (\\d+)\\)");
  @TempDir Path cwd;
  Path examples;
  final List<Process> started = new ArrayList<>();

  @BeforeEach
  void copyExamples() throws IOException {
    examples = Examples.copyInto(cwd);
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : started) {
      Jvm.kill(p);
    }
    List<MountEntry> left = new MountTable().under(cwd);
    left.forEach(m -> new JnrMounter().unmount(m.mountPoint()));
    assertEquals(List.of(), left, "no mount left under " + cwd);
  }

  @Test
  void readmeFirstCommandShowsTheDriversJobAndLeavesNothingBehind() throws Exception {
    String before = Files.readString(examples.resolve("secrets/db-password"));

    Jvm.Result r = Jvm.sscsi(cwd, Duration.ofSeconds(60), "demo");

    assertEquals(0, r.exit(), r.toString());
    assertEquals("", r.err(), r.toString());
    String out = r.out();
    Path target = cwd.resolve("demo-mount");
    for (String expected : List.of(
        "1. publish    NodePublishVolume: class default/demo-app, pod default/demo-pod, target " + target,
        target + " is a tmpfs mounted by the driver, and holds:",
        "api-key                0644  " + size("api-key.txt") + "  hidden",
        "config/app.properties  0644  " + size("config/app.properties") + "  hidden",
        "db-password            0644  " + size("db-password") + "  hidden",
        "object versions, from the pod status the driver wrote (state/default/demo-pod-default-demo-app.json):",
        "file/api-key.txt            " + version("api-key.txt"),
        "file/config/app.properties  " + version("config/app.properties"),
        "2. change     rewrote db-password in the provider's copy",
        "3. republish",
        "file/api-key.txt            " + version("api-key.txt") + "  unchanged",
        "4. unpublish",
        target + " is unmounted and removed; nothing is left mounted",
        "done in ")) {
      assertTrue(out.contains(expected), "missing \"" + expected + "\" in:\n" + out);
    }
    assertTrue(Pattern.compile("file/db-password +" + version("db-password") + " -> [0-9a-f]{16}  changed")
        .matcher(out).find(), out);
    assertFalse(out.contains("demo-only-not-a-secret"), "values hidden without --show-values");

    assertFalse(Files.exists(target), "demo-mount removed");
    assertTrue(new MountTable().under(cwd).isEmpty(), "nothing mounted");
    assertChildrenGone(out);
    assertEquals(before, Files.readString(examples.resolve("secrets/db-password")), "examples/ untouched");
  }

  @Test
  void ctrlCWhileMountedLeavesNoMountAndNoChild() throws Exception {
    Path outFile = cwd.resolve("demo.out");
    // A terminal's foreground job has SIGINT at its default; a job a shell started in the background
    // (a CI script's `cmd &`, nohup) inherits it ignored, and a JVM started with SIGINT ignored never
    // runs its shutdown hooks on it. The demo is started as a terminal would start it, whatever this
    // test's own parent did (coreutils' env resets the disposition before the exec).
    List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT"));
    command.addAll(Jvm.command("io.sscsi.Main", "demo", "--pause"));
    Process demo = new ProcessBuilder(command).directory(cwd.toFile())
        .redirectErrorStream(true).redirectOutput(outFile.toFile()).start();
    started.add(demo);
    String out = awaitOutput(demo, outFile, "press Enter", Duration.ofSeconds(90)) /* a bound, not a speed claim: two JVMs start first */;
    Path target = cwd.resolve("demo-mount");
    assertEquals("tmpfs", new MountTable().under(target).get(0).fsType(), "mounted while paused");
    List<Long> pids = childPids(out);

    // a terminal's Ctrl-C: SIGINT to the whole foreground group, the demo and its children alike
    List<String> kill = new ArrayList<>(List.of("kill", "-INT", String.valueOf(demo.pid())));
    pids.forEach(p -> kill.add(String.valueOf(p)));
    assertEquals(0, new ProcessBuilder(kill).inheritIO().start().waitFor());

    assertTrue(demo.waitFor(20, TimeUnit.SECONDS), "demo exits after Ctrl-C");
    assertEquals(130, demo.exitValue());
    String all = Files.readString(outFile);
    assertTrue(all.contains("sscsi demo: interrupted: stopped the driver and the provider, nothing left mounted at "
        + target), all);
    assertTrue(new MountTable().under(cwd).isEmpty(), "nothing mounted");
    assertFalse(Files.exists(target), "demo-mount removed");
    assertChildrenGone(all);
  }

  private String size(String secret) throws IOException {
    return String.format("%8s", Files.size(examples.resolve("secrets").resolve(secret)) + " B");
  }

  private String version(String secret) throws IOException {
    return ObjectFiles.version(Files.readAllBytes(examples.resolve("secrets").resolve(secret)));
  }

  private static String awaitOutput(Process p, Path file, String text, Duration max) {
    return Await.value("the demo prints \"" + text + "\"", max.compareTo(Await.LIMIT) > 0 ? max : Await.LIMIT, () -> {
      String out = Files.readString(file);
      if (!out.contains(text) && !p.isAlive()) {
        fail("demo exited with " + p.exitValue() + " before printing \"" + text + "\":\n" + out);
      }
      return out;
    }, out -> out.contains(text));
  }

  private static List<Long> childPids(String out) {
    List<Long> pids = new ArrayList<>();
    Matcher m = PID.matcher(out);
    while (m.find()) {
      pids.add(Long.parseLong(m.group(1)));
    }
    assertEquals(2, pids.size(), "the provider's and the driver's pid are printed:\n" + out);
    return pids;
  }

  private static void assertChildrenGone(String out) throws InterruptedException {
    for (long pid : childPids(out)) {
      ProcessHandle.of(pid).ifPresent(h -> {
        h.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> h).join();
        assertFalse(h.isAlive(), "child " + pid + " still running: " + h.info());
      });
    }
  }
}
