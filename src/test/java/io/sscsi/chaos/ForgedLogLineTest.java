package io.sscsi.chaos;

import static org.junit.jupiter.api.Assertions.*;

import io.grpc.Status;
import io.sscsi.fileprovider.FileProvider;
import io.sscsi.testkit.CsiClient;
import io.sscsi.testkit.DriverChild;
import io.sscsi.testkit.DriverNode;
import io.sscsi.testkit.Integration;
import io.sscsi.testkit.Requests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 6 against the real driver process and its default text log: a pod author's class
 * name and namespace, and a provider's error message, each carrying a newline and a fake log line,
 * reach the driver's log; every one stays on the line it belongs to, written as an escape.
 */
@Integration
class ForgedLogLineTest {
  static final String FORGED = "FORGED-LINE 2026-12-03 03:00:00.000 ERROR [main] io.sscsi.Fake - all is lost";

  @Test
  void newlinesFromPodsAndProvidersNeverStartALogLine() throws Exception {
    try (DriverNode node = DriverNode.local("sscsi-forged-log-")) {
      forgedLinesStayEscaped(node);
    }
  }

  private static void forgedLinesStayEscaped(DriverNode node) throws Exception {
    Path root = node.root;
    Path classes = node.classes();
    // the provider is asked for an object whose name holds a newline: its NOT_FOUND message repeats it
    Files.writeString(classes.resolve("evil.yaml"), "apiVersion: secrets-store.csi.x-k8s.io/v1\n"
        + "kind: SecretProviderClass\nmetadata: {name: evil, namespace: team-a}\n"
        + "spec:\n  provider: file\n  parameters:\n    objects: |\n      array:\n        - |\n"
        + "          objectName: \"db/x\\n" + FORGED + "\"\n          objectAlias: password\n");
    Files.createDirectories(root.resolve("sources/db"));
    Path target = root.resolve("pods/uid-1/volumes/kubernetes.io~csi/secrets/mount");
    try (FileProvider provider = FileProvider.serve(root.resolve("sources"), node.providers.resolve("file.sock"))) {
      DriverChild driver = node.start("driver.log");
      try (CsiClient csi = new CsiClient(driver.socket)) {
        Status classNamed = csi.publish(Requests.publish(target, "team-a", "web-1", "uid-1", "app\n" + FORGED).build());
        assertNotEquals(Status.Code.OK, classNamed.getCode());
        Status namespaced = csi.publish(Requests.publish(target, "team-a\n" + FORGED, "web-1", "uid-1", "evil").build());
        assertNotEquals(Status.Code.OK, namespaced.getCode());
        Status providerSaid = csi.publish(Requests.publish(target, "team-a", "web-1", "uid-1", "evil").build());
        assertEquals(Status.Code.NOT_FOUND, providerSaid.getCode(), providerSaid.toString());
        assertTrue(providerSaid.getDescription().contains(FORGED), "the provider's message carried the line");
      }
      driver.close();

      List<String> lines = Files.readAllLines(root.resolve("driver.log"));
      long mentions = lines.stream().filter(l -> l.contains("\\n" + FORGED)).count();
      assertTrue(mentions >= 3, "each hostile value was logged, escaped: " + mentions + " lines\n" + String.join("\n", lines));
      for (String line : lines) {
        assertFalse(line.startsWith("FORGED-LINE"), "a forged log line: " + line);
      }
    }
  }
}
