package io.sscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of src/main point down: each package may use only packages on a lower floor
 * ({@link #FLOORS}), except the edges in {@link #JUSTIFIED} (each one explained in ARCHITECTURE.md,
 * "Layers"). A source scan of {@code import io.sscsi.X} lines and fully qualified {@code io.sscsi.X.}
 * names; the graph it finds is written to {@code target/package-imports.txt}.
 */
class LayeringTest {

  static final String ROOT = "(root)";

  /** Bottom to top; a package may use the floors below its own. */
  static final List<Set<String>> FLOORS = List.of(
      Set.of("errors", "logging", "retry"),
      Set.of("metrics", "fs", "grpc"),
      Set.of("spc", "status"),
      Set.of("pods"),
      Set.of("k8s"),
      Set.of("local", "provider"),
      Set.of("sync"),
      Set.of("volume"),
      Set.of("csi", "admin"),
      Set.of("config"),
      Set.of("fileprovider"),
      Set.of("cli"),
      Set.of("synccontroller"),
      Set.of(ROOT));

  /** Edges that go up (or sideways), with why; each is listed in ARCHITECTURE.md ("Layers"). */
  static final Map<String, String> JUSTIFIED = Map.of(
      "cli -> (root)", "DriverCommand wires the driver (DriverProcess, Guardian); DemoRun starts io.sscsi.Main"
          + " in a child JVM, by its name only",
      "synccontroller -> (root)", "the sync controller runs its blocking work on Guardian's blocking dispatcher,"
          + " named once in Guardian");

  private static final Path MAIN = Path.of("src/main/java/io/sscsi");
  private static final Pattern PACKAGE_USE = Pattern.compile("\\bio\\.sscsi\\.(?:([a-z0-9]+)(?:\\.[a-z0-9]+)*\\.)?[A-Z*]");

  @Test
  void everyPackageIsOnAFloor() {
    Set<String> packages = graph().keySet();
    Set<String> placed = FLOORS.stream().flatMap(Set::stream).collect(Collectors.toSet());
    assertEquals(Set.of(), packages.stream().filter(p -> !placed.contains(p)).collect(Collectors.toSet()),
        "packages missing from LayeringTest.FLOORS");
  }

  @Test
  void noPackageUsesAHigherOneExceptTheJustifiedEdges() throws IOException {
    Map<String, Set<String>> graph = graph();
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target/package-imports.txt"), render(graph));
    Set<String> upward = new TreeSet<>();
    graph.forEach((from, tos) -> tos.forEach(to -> {
      if (floor(to) >= floor(from) && !JUSTIFIED.containsKey(from + " -> " + to)) {
        upward.add(from + " -> " + to);
      }
    }));
    assertTrue(upward.isEmpty(), "imports from a lower (or the same) floor up: " + upward
        + "; point them down, or justify them in LayeringTest.JUSTIFIED and ARCHITECTURE.md. The graph:\n"
        + render(graph));
  }

  @Test
  void theScanSeesImportsAndQualifiedNames() {
    assertEquals(Set.of("retry", "pods", "k8s", ROOT), uses(String.join("\n",
        "package io.sscsi.volume;",
        "import io.sscsi.retry.Backoff;",
        "import static io.sscsi.pods.PodRef.of;",
        "import io.sscsi.Guardian;",
        "import io.sscsi.k8s.model.SecretProviderClassSpec;",
        "  io.sscsi.volume.VolumeActor self;"), "volume"));
  }

  private static int floor(String pkg) {
    for (int i = 0; i < FLOORS.size(); i++) {
      if (FLOORS.get(i).contains(pkg)) {
        return i;
      }
    }
    throw new AssertionError("package " + pkg + " is on no floor of LayeringTest.FLOORS");
  }

  /** Package -> the other io.sscsi packages its main sources use. */
  static Map<String, Set<String>> graph() {
    Map<String, Set<String>> graph = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        Path dir = MAIN.relativize(file).getParent();
        String pkg = dir == null ? ROOT : dir.getName(0).toString();
        graph.computeIfAbsent(pkg, p -> new TreeSet<>()).addAll(uses(Files.readString(file), pkg));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return graph;
  }

  private static Set<String> uses(String source, String pkg) {
    Set<String> used = new TreeSet<>();
    for (String line : source.lines().toList()) {
      String code = line.strip();
      if (code.startsWith("package ") || code.startsWith("*") || code.startsWith("//")
          || code.startsWith("/*")) {
        continue;
      }
      Matcher m = PACKAGE_USE.matcher(code);
      while (m.find()) {
        String to = m.group(1) == null ? ROOT : m.group(1);
        if (!to.equals(pkg)) {
          used.add(to);
        }
      }
    }
    return used;
  }

  private static String render(Map<String, Set<String>> graph) {
    StringBuilder out = new StringBuilder();
    graph.forEach((from, tos) -> out.append(from).append(" -> ").append(String.join(", ", tos)).append('\n'));
    return out.toString();
  }
}
