package io.sscsi.cli;

import io.sscsi.testkit.Integration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.fileprovider.ObjectFiles;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.local.LocalPodStatusStore;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.testkit.Await;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver (local mode, real tmpfs) and the file provider as separate OS processes on their own
 * unix sockets, driven by the CLI as separate processes, as an operator on a node would: publish,
 * read the files, change the source, republish, unpublish; and the failures an operator meets, each
 * one line on stderr and exit 1.
 */
@Integration
class DriverAndProviderProcessesTest {
  static final Duration CLI = Duration.ofSeconds(90); // a hang guard, generous for a loaded CI machine
  static final String TOKEN = "tok3n-must-not-be-logged";
  @TempDir static Path dir;
  static Process driver;
  static Process provider;
  static Path csiSocket;

  static String spc(String name, String provider, String objects) {
    return "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata:\n  name: " + name
        + "\n  namespace: team-a\nspec:\n  provider: " + provider + "\n  parameters:\n    objects: |\n" + objects;
  }

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(dir.resolve("classes"));
    Files.writeString(dir.resolve("classes/classes.yaml"), String.join("---\n",
        spc("app", "file", "      array:\n        - |\n          objectName: db/pass\n          objectAlias: password\n"
            + "        - |\n          objectName: user\n"),
        spc("absent", "absent", "      - objectName: user\n"),
        spc("dying", "dying", "      - objectName: user\n")));
    Files.createDirectories(dir.resolve("root/db"));
    Files.writeString(dir.resolve("root/db/pass"), "hunter2");
    Files.writeString(dir.resolve("root/user"), "admin");
    Path providers = Files.createDirectories(dir.resolve("providers"));
    csiSocket = dir.resolve("csi/csi.sock");
    provider = Jvm.start(dir.resolve("provider.log"), "io.sscsi.Main", "provider", "file",
        "--root", dir.resolve("root").toString(), "--endpoint", "unix://" + providers.resolve("file.sock"));
    driver = Jvm.start(dir.resolve("driver.log"), "io.sscsi.Main", "driver", "--endpoint", "unix://" + csiSocket,
        "--nodeid", "node-1", "--local-classes", dir.resolve("classes").toString(),
        "--local-state", dir.resolve("state").toString(), "--provider-volume", providers.toString(),
        "--additional-provider-volume-paths", "", "--metrics-addr=", "--admin-addr=");
    await(provider, "provider", providers.resolve("file.sock"),
        c -> c.call(ProviderMethods.VERSION, VersionRequest.getDefaultInstance(), Duration.ofSeconds(2)));
    await(driver, "driver", csiSocket,
        c -> c.call(CsiMethods.GET_PLUGIN_INFO, GetPluginInfoRequest.getDefaultInstance(), Duration.ofSeconds(2)));
  }

  static void await(Process p, String what, Path socket, Consumer<SocketClient> probe) {
    Await.until(what + " answers on " + socket, Duration.ofSeconds(90), () -> {
      if (!p.isAlive()) {
        fail(what + " exited with " + p.exitValue() + ":\n" + Jvm.log(dir.resolve(what + ".log")));
      }
      if (!Files.exists(socket)) {
        return false;
      }
      try (SocketClient c = SocketClient.open(what, socket)) {
        probe.accept(c);
        return true;
      } catch (CliFailure notYet) {
        return false;
      }
    });
  }

  @AfterAll
  static void stop() throws Exception {
    Jvm.kill(driver);
    Jvm.kill(provider);
    List<MountEntry> left = new MountTable().under(dir);
    for (MountEntry m : left) {
      new JnrMounter().unmount(m.mountPoint());
    }
    assertEquals(List.of(), left, "no mount left under " + dir);
    String logs = Jvm.log(dir.resolve("driver.log")) + Jvm.log(dir.resolve("provider.log"));
    assertFalse(logs.contains("hunter2"), "no secret value in the driver's or provider's log");
    assertFalse(logs.contains(TOKEN), "no token in the driver's or provider's log");
  }

  static String[] publish(Path target, String className) {
    return new String[] {"publish", "--endpoint", "unix://" + csiSocket, "--target", target.toString(),
        "--class", className, "--pod-name", "web-1", "--pod-namespace", "team-a", "--pod-uid", "uid-1",
        "--service-account", "default", "--tokens", "{\"aud\":{\"token\":\"" + TOKEN + "\"}}"};
  }

  static Jvm.Result sscsi(String... args) throws Exception {
    return Jvm.sscsi(dir, CLI, args);
  }

  @Test
  void publishReadChangeRepublishUnpublish() throws Exception {
    Path target = dir.resolve("pods/uid-1/volumes/kubernetes.io~csi/secrets/mount");
    Path status = dir.resolve("state/team-a/web-1-team-a-app.json");

    Jvm.Result published = sscsi(publish(target, "app"));
    assertEquals(0, published.exit(), published.toString());
    assertEquals("", published.err(), published.toString());
    assertTrue(published.out().startsWith("published " + target + " (volume csi-"), published.out());
    assertTrue(published.out().contains("password  0644       7 B  hidden"), published.out());
    assertFalse(published.out().contains("hunter2") || published.out().contains(TOKEN), "nothing secret printed");
    assertEquals("hunter2", Files.readString(target.resolve("password")));
    assertEquals("admin", Files.readString(target.resolve("user")));
    assertEquals("tmpfs", mountAt(target).fsType());
    String v1 = LocalPodStatusStore.readVersions(status).get("file/db/pass");
    assertEquals(ObjectFiles.version("hunter2".getBytes(StandardCharsets.UTF_8)), v1);

    Files.writeString(dir.resolve("root/db/pass"), "correct-horse");
    assertEquals(0, sscsi("unpublish", "--endpoint", "unix://" + csiSocket, "--target", target.toString()).exit());
    Jvm.Result republished = sscsi(publish(target, "app"));
    assertEquals(0, republished.exit(), republished.toString());
    assertEquals("correct-horse", Files.readString(target.resolve("password")));
    String v2 = LocalPodStatusStore.readVersions(status).get("file/db/pass");
    assertNotEquals(v1, v2);
    assertEquals(ObjectFiles.version("correct-horse".getBytes(StandardCharsets.UTF_8)), v2);

    Jvm.Result unpublished = sscsi("unpublish", "--endpoint", "unix://" + csiSocket, "--target", target.toString());
    assertEquals(0, unpublished.exit(), unpublished.toString());
    assertEquals("unpublished " + target + "\n", unpublished.out());
    assertFalse(Files.exists(target));
    assertTrue(new MountTable().under(dir).isEmpty());
    assertFalse(Files.exists(status));
  }

  @Test
  void aWrongClassNameIsOneLineNamingClassAndNamespace() throws Exception {
    Jvm.Result r = sscsi(publish(dir.resolve("t-wrong"), "nope"));
    assertEquals(1, r.exit(), r.toString());
    assertEquals(List.of("sscsi publish: NOT_FOUND: SecretProviderClass \"nope\" not found in namespace \"team-a\""
        + " (local mode: no manifest in " + dir.resolve("classes") + " defines it)"), r.errLines());
    assertEquals("", r.out());
    assertFalse(Files.exists(dir.resolve("t-wrong")));
  }

  @Test
  void aMissingProviderSocketIsOneLineNamingTheProvider() throws Exception {
    Jvm.Result r = sscsi(publish(dir.resolve("t-absent"), "absent"));
    assertEquals(1, r.exit(), r.toString());
    assertEquals(1, r.errLines().size(), r.toString());
    assertTrue(r.err().startsWith("sscsi publish: FAILED_PRECONDITION: provider absent not found: no absent.sock in ["
        + dir.resolve("providers") + "]"), r.err());
    assertTrue(new MountTable().under(dir.resolve("t-absent")).isEmpty());
  }

  @Test
  void aProviderThatExitsMidCallFailsAtTheDeadlineInOneLineNamingTheProvider() throws Exception {
    Path socket = dir.resolve("providers/dying.sock");
    Process dying = Jvm.start(dir.resolve("dying.log"), "io.sscsi.cli.ExitingProvider", socket.toString());
    try {
      await(dying, "dying", socket,
          c -> c.call(ProviderMethods.VERSION, VersionRequest.getDefaultInstance(), Duration.ofSeconds(2)));
      // as upstream, the call is retried and waits for the provider (waitForReady) until the deadline
      String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(publish(dir.resolve("t-dying"), "dying")),
          java.util.stream.Stream.of("--timeout", "10")).toArray(String[]::new);
      Jvm.Result r = sscsi(args);
      assertEquals(1, r.exit(), r.toString());
      assertEquals(1, r.errLines().size(), r.toString());
      assertTrue(r.err().startsWith("sscsi publish: DEADLINE_EXCEEDED: ") && r.err().contains("provider dying"),
          r.err());
      assertEquals(3, dying.waitFor(), "the provider really died in the call");
      assertTrue(new MountTable().under(dir.resolve("t-dying")).isEmpty(), "the failed publish left no mount");
      assertFalse(Files.exists(dir.resolve("t-dying")), "nor its directory");
    } finally {
      Jvm.kill(dying);
      Files.deleteIfExists(socket);
    }
  }

  @Test
  void noDriverAtTheEndpointAndUsageErrors() throws Exception {
    String[] args = publish(dir.resolve("t-none"), "app");
    args[2] = "unix://" + dir.resolve("none.sock");
    Jvm.Result r = sscsi(args);
    assertEquals(1, r.exit(), r.toString());
    assertEquals(List.of("sscsi publish: UNAVAILABLE: no driver socket at " + dir.resolve("none.sock")
        + " (is the driver running? check --endpoint)"), r.errLines());

    Path staleSocket = dir.resolve("stale.sock");
    try (ServerSocketChannel bound = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      bound.bind(UnixDomainSocketAddress.of(staleSocket)); // closing leaves the socket file, with nobody listening
    }
    Jvm.Result stale = sscsi("unpublish", "--endpoint", "unix://" + staleSocket, "--target", "/x");
    assertEquals(1, stale.exit(), stale.toString());
    assertEquals(1, stale.errLines().size(), stale.toString());
    assertTrue(stale.err().startsWith("sscsi unpublish: UNAVAILABLE: the driver at " + staleSocket
        + " is not answering or went away during NodeUnpublishVolume"), stale.err());

    Jvm.Result usage = sscsi("publish", "--endpoint", "unix://" + csiSocket, "--target", "/x");
    assertEquals(2, usage.exit(), usage.toString());
    assertEquals(1, usage.errLines().size(), usage.toString());
    assertTrue(usage.err().startsWith("sscsi: Missing required options"), usage.err());
  }

  @Test
  void theHiddenCyclesCommandPublishesRepublishesAndUnpublishesEveryVolume() throws Exception {
    Path pods = dir.resolve("cycles-pods");
    String[] args = {"cycles", "--endpoint", "unix://" + csiSocket, "--target-dir", pods.toString(), "--class", "app",
        "--namespace", "team-a", "--count", "3"};
    Jvm.Result r = sscsi(args);
    assertEquals(0, r.exit(), r.toString());
    assertEquals("3 publish/republish/unpublish cycles on unix://" + csiSocket + "\n", r.out());
    for (int i = 1; i <= 3; i++) {
      Path target = pods.resolve(String.format("00000000-0000-4000-8000-%012d", i))
          .resolve("volumes/kubernetes.io~csi/secrets/mount");
      assertTrue(Files.isDirectory(target.getParent()), "the cycle used kubelet's layout: " + target);
      assertFalse(Files.exists(target), "unpublished: " + target);
      assertFalse(Files.exists(dir.resolve("state/team-a/cycles-" + i + "-team-a-app.json")));
    }
    assertTrue(new MountTable().under(pods).isEmpty());

    args[6] = "nope";
    Jvm.Result wrong = sscsi(args);
    assertEquals(1, wrong.exit(), wrong.toString());
    assertEquals(1, wrong.errLines().size(), wrong.toString());
    assertTrue(wrong.err().startsWith("sscsi cycles: NOT_FOUND: SecretProviderClass \"nope\""), wrong.err());

    Jvm.Result help = sscsi("--help");
    assertEquals(0, help.exit(), help.toString());
    assertTrue(help.out().contains("publish") && !help.out().contains("cycles"), "cycles is hidden: " + help.out());
  }

  static MountEntry mountAt(Path target) {
    List<MountEntry> at = new ArrayList<>(new MountTable().under(target));
    assertEquals(1, at.size(), at.toString());
    return at.get(0);
  }
}
