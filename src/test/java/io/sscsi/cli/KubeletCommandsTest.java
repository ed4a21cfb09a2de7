package io.sscsi.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.Main;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.NodePublishVolumeRequest;
import io.sscsi.csi.v1.NodePublishVolumeResponse;
import io.sscsi.csi.v1.NodeUnpublishVolumeRequest;
import io.sscsi.csi.v1.NodeUnpublishVolumeResponse;
import io.sscsi.grpc.ServiceBinder;
import io.sscsi.grpc.UnixSocketServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sscsi publish} and {@code unpublish} against a real gRPC server on a unix socket that
 * records what kubelet's role sends: one volume id for one target (issue 19 item 9), node-publish
 * secrets with {@code --secrets} and never printed, and a bad {@code --endpoint} as one usage line
 * and exit 2 in every subcommand (issue 21).
 */
class KubeletCommandsTest {
  @TempDir static Path dir;
  static UnixSocketServer server;
  static final ExecutorService THREADS = Executors.newCachedThreadPool();
  static final List<NodePublishVolumeRequest> publishes = new CopyOnWriteArrayList<>();
  static final List<NodeUnpublishVolumeRequest> unpublishes = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    server = UnixSocketServer.start(dir.resolve("csi.sock"), List.of(ServiceBinder.service(CsiMethods.NODE)
        .unary(CsiMethods.NODE_PUBLISH, r -> {
          publishes.add(r);
          return CompletableFuture.completedFuture(NodePublishVolumeResponse.getDefaultInstance());
        })
        .unary(CsiMethods.NODE_UNPUBLISH, r -> {
          unpublishes.add(r);
          return CompletableFuture.completedFuture(NodeUnpublishVolumeResponse.getDefaultInstance());
        })
        .build()), THREADS, 4 * 1024 * 1024);
  }

  @AfterAll
  static void stop() {
    server.close();
    THREADS.shutdownNow();
  }

  record Run(int exit, String out, String err) {}

  static Run sscsi(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = Main.execute(cli, args);
    return new Run(exit, out.toString(), err.toString());
  }

  static String[] publish(Path target, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("publish", "--endpoint", "unix://" + dir.resolve("csi.sock"),
        "--target", target.toString(), "--class", "app", "--pod-name", "web", "--pod-namespace", "ns",
        "--pod-uid", "uid-7", "--service-account", "default"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void publishAndUnpublishSendOneVolumeIdForOneTarget() throws Exception {
    List<String> ids = new java.util.ArrayList<>();
    for (Path target : List.of(dir.resolve("pods/uid-7/volumes/kubernetes.io~csi/secrets/mount"), dir.resolve("plain"))) {
      Files.createDirectories(target);
      Run published = sscsi(publish(target));
      Run unpublished = sscsi("unpublish", "--endpoint", "unix://" + dir.resolve("csi.sock"), "--target", target.toString());

      assertEquals(0, published.exit(), published.toString());
      assertEquals(0, unpublished.exit(), unpublished.toString());
      String sent = publishes.get(publishes.size() - 1).getVolumeId();
      assertEquals(sent, unpublishes.get(unpublishes.size() - 1).getVolumeId(), "for " + target);
      ids.add(sent);
    }
    assertEquals(KubeletRequests.volumeHandle("uid-7", "secrets"), ids.get(0),
        "kubelet's handle for a target in kubelet's layout");
  }

  @Test
  void publishSendsNodePublishSecretsAndNeverPrintsThem() throws Exception {
    Path file = Files.writeString(dir.resolve("secrets.json"), "{\"clientid\":\"id-from-file\",\"clientsecret\":\"hunter2-file\"}");
    Path target = Files.createDirectories(dir.resolve("with-secrets"));

    Run r = sscsi(publish(target, "--secrets", file.toString(), "--secrets", "password=hunter2=pair"));

    assertEquals(0, r.exit(), r.toString());
    NodePublishVolumeRequest sent = publishes.get(publishes.size() - 1);
    assertEquals(Map.of("clientid", "id-from-file", "clientsecret", "hunter2-file", "password", "hunter2=pair"),
        sent.getSecretsMap());
    assertFalse((r.out() + r.err()).contains("hunter2"), r.toString());
  }

  @Test
  void aBadSecretsValueIsAUsageErrorThatQuotesNoValue() throws Exception {
    Path notJson = Files.writeString(dir.resolve("not-json"), "hunter2 is not json");
    int calls = publishes.size();

    Run r = sscsi(publish(Files.createDirectories(dir.resolve("bad-secrets")), "--secrets", notJson.toString()));

    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().startsWith("sscsi publish: --secrets: "), r.err());
    assertFalse(r.err().contains("hunter2"), r.err());
    assertEquals(calls, publishes.size(), "nothing was sent");
  }

  @Test
  void aBadEndpointIsOneUsageLineAndExitTwoInEveryCommand() {
    List<List<String>> commands = List.of(
        List.of("publish", "--target", "/t", "--class", "c", "--pod-name", "p", "--pod-namespace", "n",
            "--pod-uid", "u", "--service-account", "s"),
        List.of("unpublish", "--target", "/t"),
        List.of("cycles", "--target-dir", "/t", "--class", "c", "--namespace", "n"),
        List.of("provider", "file", "--root", "/"));
    for (List<String> command : commands) {
      List<String> args = new java.util.ArrayList<>(command);
      args.addAll(List.of("--endpoint", "tcp://127.0.0.1:1"));
      Run r = sscsi(args.toArray(String[]::new));
      assertEquals(2, r.exit(), command + ": " + r);
      assertTrue(r.err().contains("sscsi serves CSI on a unix socket only"), command + ": " + r.err());
      assertEquals(1, r.err().lines().count(), command + ": " + r.err());
    }
  }
}
