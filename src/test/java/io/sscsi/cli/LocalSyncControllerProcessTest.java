package io.sscsi.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.local.Yaml;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.Examples;
import io.sscsi.testkit.Integration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * README's "Run it on a laptop" command for the sync controller, taken from README.md itself and run
 * as a real process in a directory holding a copy of {@code examples/}: the bundled file provider
 * serves {@code examples/secrets} over a unix socket, the SecretSync of {@code
 * examples/sync-controller/local} gives {@code synced-secrets/default/app-secrets.yaml} with the
 * files' bytes, and the process exits 0. Also: without {@code --local-secrets-out} the Secret is
 * printed on stdout; without {@code --once} the controller keeps running and follows an edit of
 * the SecretSync file.
 */
@Integration
class LocalSyncControllerProcessTest {
  static final String JAR = "java -jar target/sscsi.jar ";
  @TempDir Path cwd;
  final List<Process> started = new ArrayList<>();

  @BeforeEach
  void copyExamples() throws IOException {
    Examples.copyInto(cwd);
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : started) {
      Jvm.kill(p);
    }
  }

  /** The arguments of README's {@code java -jar target/sscsi.jar sync-controller ...} command (continued lines joined). */
  static List<String> readmeCommand() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    String laptop = readme.substring(readme.indexOf("## Run it on a laptop"), readme.indexOf("## Install on a cluster"));
    int start = laptop.indexOf(JAR + "sync-controller");
    assertTrue(start >= 0, "README's laptop section has a `" + JAR + "sync-controller` command");
    StringBuilder command = new StringBuilder();
    for (String line : laptop.substring(start).split("\n")) {
      boolean continued = line.stripTrailing().endsWith("\\");
      command.append(continued ? line.stripTrailing().substring(0, line.stripTrailing().length() - 1) : line).append(' ');
      if (!continued) {
        break;
      }
    }
    List<String> words = new ArrayList<>(Arrays.asList(command.toString().trim().split("\\s+")));
    return words.subList(3, words.size()); // without "java -jar target/sscsi.jar"
  }

  static String decoded(JsonNode secret, String key) {
    return new String(Base64.getDecoder().decode(secret.path("data").path(key).asString()), StandardCharsets.UTF_8);
  }

  void assertIsTheExampleSecret(JsonNode secret) throws IOException {
    assertEquals("Secret", secret.path("kind").asString());
    assertEquals("app-secrets", secret.path("metadata").path("name").asString());
    assertEquals("default", secret.path("metadata").path("namespace").asString());
    assertEquals("", secret.path("metadata").path("labels").path("secrets-store.sync.x-k8s.io").asString());
    assertEquals("SecretSync", secret.path("metadata").path("ownerReferences").path(0).path("kind").asString());
    assertEquals("Opaque", secret.path("type").asString());
    assertEquals(Files.readString(cwd.resolve("examples/secrets/db-password")), decoded(secret, "DB_PASSWORD"));
    assertEquals(Files.readString(cwd.resolve("examples/secrets/api-key.txt")), decoded(secret, "API_KEY"));
  }

  @Test
  void readmeCommandWritesTheSecretFileFromTheFileProvider() throws Exception {
    List<String> args = readmeCommand();
    assertTrue(args.contains("--once") && args.contains("--local-secrets-out"), args::toString);

    Jvm.Result r = Jvm.sscsi(cwd, Duration.ofMinutes(3), args.toArray(String[]::new));

    assertEquals(0, r.exit(), r.toString());
    assertEquals("", r.out(), "with --local-secrets-out nothing goes to stdout (logs are on stderr)\n" + r);
    assertTrue(r.err().contains("SecretSync default/app-secrets: SecretCreated True CreateSuccessful"), r::toString);
    Path file = cwd.resolve("synced-secrets/default/app-secrets.yaml");
    assertIsTheExampleSecret(Yaml.tree(Files.readString(file)));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    for (String value : List.of("demo-only-not-a-secret-db-password", "ZGVtby1vbmx5LW5vdC1hLXNlY3JldC1kYi1wYXNzd29yZA")) {
      assertTrue(!r.err().contains(value), "no secret value in the log");
    }
  }

  @Test
  void withoutAnOutputDirectoryTheSecretIsPrintedOnStdout() throws Exception {
    List<String> args = new ArrayList<>(readmeCommand());
    int out = args.indexOf("--local-secrets-out");
    args.subList(out, out + 2).clear();

    Jvm.Result r = Jvm.sscsi(cwd, Duration.ofMinutes(3), args.toArray(String[]::new));

    assertEquals(0, r.exit(), r.toString());
    assertIsTheExampleSecret(Yaml.tree(r.out()));
    assertTrue(!Files.exists(cwd.resolve("synced-secrets")), "nothing written");
  }

  @Test
  void withoutOnceItKeepsRunningAndFollowsAnEditOfTheSecretSyncFile() throws Exception {
    List<String> args = new ArrayList<>(readmeCommand());
    args.remove("--once");
    args.add("--admin-addr="); // no fixed port
    Path log = cwd.resolve("controller.log");
    Process p = new ProcessBuilder(Jvm.command("io.sscsi.Main", args.toArray(String[]::new))).directory(cwd.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(p);
    Path file = cwd.resolve("synced-secrets/default/app-secrets.yaml");
    Await.value("the Secret file is written", Duration.ofMinutes(3), () -> read(file), t -> t.contains("DB_PASSWORD"));

    Path sync = cwd.resolve("examples/sync-controller/local/secretsync.yaml");
    Files.writeString(sync, Files.readString(sync).replace("targetKey: API_KEY", "targetKey: API_TOKEN"));

    String after = Await.value("the edit reaches the Secret file", Duration.ofMinutes(2), () -> read(file), t -> t.contains("API_TOKEN"));
    JsonNode secret = Yaml.tree(after);
    assertEquals(Files.readString(cwd.resolve("examples/secrets/api-key.txt")), decoded(secret, "API_TOKEN"));
    assertTrue(p.isAlive(), () -> "still running\n" + Jvm.log(log));
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
