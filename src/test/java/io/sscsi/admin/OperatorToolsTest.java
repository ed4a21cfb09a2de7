package io.sscsi.admin;

import static org.junit.jupiter.api.Assertions.*;

import ch.qos.logback.classic.LoggerContext;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.Main;
import io.sscsi.config.LogFormat;
import io.sscsi.logging.LogSetup;
import io.sscsi.testkit.*;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import tools.jackson.databind.json.JsonMapper;

/** What an operator runs: {@code sscsi volumes} against a live driver, and JSON logs. */
@EnableKubernetesMockClient(crud = true)
@Integration
class OperatorToolsTest {
  static KubernetesClient client;

  @Test
  void volumesCommandRendersTheAdminEndpointAsATable() throws Exception {
    try (DriverHarness driver = DriverHarness.start(client); TestProvider provider = driver.provider("tabled")) {
      provider.answerNow(TestProvider.files(Map.of("db-pass", "TABLE-SECRET-9")));
      new Cluster(client).secretProviderClass("ns", "spc", "tabled", Map.of("objects", "x"));
      try (CsiClient csi = driver.client()) {
        assertEquals(Status.Code.OK, csi.publish(Requests.publish(driver.target("u-t", "vol"), "ns", "web", "u-t", "spc").build()).getCode());
      }
      StringWriter out = new StringWriter();
      CommandLine cli = Main.commandLine();
      cli.setOut(new PrintWriter(out, true));
      assertEquals(0, cli.execute("volumes", "--admin-addr", "127.0.0.1:" + driver.started.admin().getPort()));
      String table = out.toString();
      assertTrue(table.startsWith("NAMESPACE"), table);
      assertTrue(table.contains("web") && table.contains("tabled") && table.contains("secret/db-pass@v1"), table);
      assertFalse(table.contains("TABLE-SECRET-9"));

      StringWriter err = new StringWriter();
      CommandLine down = Main.commandLine();
      down.setErr(new PrintWriter(err, true));
      try (RefusedPort refused = RefusedPort.open()) {
        assertEquals(1, down.execute("volumes", "--admin-addr", refused.address()));
        assertTrue(err.toString().contains("no driver admin endpoint at " + refused.address()), err.toString());
      }
    }
  }

  @Test
  void logFormatJsonWritesOneJsonObjectPerLine() throws Exception {
    PrintStream original = System.err;
    String level = System.getProperty("SSCSI_LOG_LEVEL");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      LogFormat.apply(ConfigFactory.parseMap(Map.of("sscsi.driver.log-format-json", true, "sscsi.driver.log-level", "INFO")));
      LoggerFactory.getLogger("io.sscsi.test").info("volume {} published", "/t");
    } finally {
      System.setErr(original);
      System.clearProperty("SSCSI_LOG_FORMAT");
      if (level == null) {
        System.clearProperty("SSCSI_LOG_LEVEL");
      } else {
        System.setProperty("SSCSI_LOG_LEVEL", level); // the tier's level, for the tests after this one
      }
      new LogSetup().configure((LoggerContext) LoggerFactory.getILoggerFactory());
    }
    String line = captured.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.contains("published")).findFirst().orElseThrow(() -> new AssertionError(captured.toString()));
    var node = JsonMapper.builder().build().readTree(line);
    assertEquals("volume /t published", node.get("formattedMessage").asString());
    assertEquals("INFO", node.get("level").asString());
    assertEquals("io.sscsi.test", node.get("loggerName").asString());
  }
}
