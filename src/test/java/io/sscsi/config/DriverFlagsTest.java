package io.sscsi.config;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sscsi.Main;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The driver's flags: upstream names and defaults, Go syntax, and one clear line for a bad one. */
class DriverFlagsTest {

  static DriverSettings settings(String... args) {
    DriverCommand command = new DriverCommand();
    new CommandLine(command).parseArgs(args);
    return DriverSettings.from(command.config());
  }

  @Test
  void defaultsAreUpstreams() {
    DriverSettings s = settings();
    assertEquals(Path.of("/tmp/csi.sock"), s.socket());
    assertEquals("secrets-store.csi.k8s.io", s.driverName());
    assertEquals(List.of(Path.of("/etc/kubernetes/secrets-store-csi-providers"),
        Path.of("/var/run/secrets-store-csi-providers")), s.providers().socketDirs());
    assertEquals(4194304, s.providers().maxReceiveBytes());
    assertFalse(s.volumes().rotationEnabled());
    assertEquals(Duration.ofMinutes(2), s.volumes().rotationInterval());
    assertEquals(8095, s.metricsAddress().port());
    assertEquals("0.0.0.0", s.metricsAddress().host());
    assertEquals("127.0.0.1", s.adminAddress().host());
    assertNull(s.providers().healthCheckInterval());
  }

  @Test
  void everyFlagSetsItsSetting() {
    DriverSettings s = settings("--endpoint=unix:///csi/csi.sock", "--drivername=x.csi.io", "--nodeid=node-7",
        "--provider-volume=/p", "--additional-provider-volume-paths=/a, /b", "--max-call-recv-msg-size=1024",
        "--enable-secret-rotation", "--rotation-poll-interval=1h30m", "--provider-health-check=true",
        "--provider-health-check-interval=45s", "--metrics-addr=127.0.0.1:9000", "--admin-addr=",
        "--log-format-json=false", "--metrics-backend=Prometheus", "-v=5", "--enable-pprof=false", "--pprof-port=6065");
    assertEquals(Path.of("/csi/csi.sock"), s.socket());
    assertEquals("x.csi.io", s.driverName());
    assertEquals("node-7", s.nodeId());
    assertEquals(List.of(Path.of("/a"), Path.of("/b"), Path.of("/p")), s.providers().socketDirs());
    assertEquals(1024, s.providers().maxReceiveBytes());
    assertTrue(s.volumes().rotationEnabled());
    assertEquals(Duration.ofMinutes(90), s.volumes().rotationInterval());
    assertEquals(Duration.ofSeconds(45), s.providers().healthCheckInterval());
    assertEquals(9000, s.metricsAddress().port());
    assertNull(s.adminAddress(), "an empty address switches the admin endpoint off");
  }

  @ParameterizedTest
  @CsvSource({"--enable-secret-rotation=false, false", "--enable-secret-rotation=true, true",
      "--enable-secret-rotation, true", "--enable-secret-rotation=1, true", "--enable-secret-rotation=F, false"})
  void booleansAsUpstreamsHelmChartPassesThem(String flag, boolean expected) {
    assertEquals(expected, settings(flag).volumes().rotationEnabled());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--rotation-poll-interval=2x | --rotation-poll-interval",
      "--enable-secret-rotation=yes | --enable-secret-rotation",
      "--no-such-flag | --no-such-flag",
      "--max-call-recv-msg-size=big | --max-call-recv-msg-size",
      "--metrics-addr=nope | --metrics-addr",
      "--metrics-backend=opencensus | --metrics-backend",
      "--max-call-recv-msg-size=0 | --max-call-recv-msg-size",
      "--endpoint=tcp://0.0.0.0:10000 | endpoint",
      "--rotation-poll-interval=0 | --rotation-poll-interval"})
  void aBadFlagExitsNonZeroWithOneLineNamingIt(String flag, String named) {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute("driver", flag);
    assertEquals(2, exit, err.toString());
    List<String> lines = err.toString().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), "one line: " + err);
    assertTrue(lines.get(0).contains(named), lines.get(0));
  }

  @Test
  void theArgumentsOurDaemonSetPassesAreAccepted() throws Exception {
    Container driver;
    try (InputStream in = Files.newInputStream(Path.of("deploy/secrets-store-csi-driver.yaml"))) {
      DaemonSet ds = Serialization.unmarshal(in, DaemonSet.class);
      driver = ds.getSpec().getTemplate().getSpec().getContainers().stream()
          .filter(c -> c.getName().equals("secrets-store")).findFirst().orElseThrow();
    }
    List<String> args = new ArrayList<>();
    List<String> given = new ArrayList<>(driver.getCommand() == null ? List.of() : driver.getCommand());
    given.addAll(driver.getArgs());
    int sub = given.indexOf("driver");
    // kubelet expands $(VAR) from the container's env; KUBE_NODE_NAME comes from the pod's node
    java.util.Map<String, String> env = new java.util.HashMap<>(java.util.Map.of("KUBE_NODE_NAME", "node-1"));
    driver.getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
    for (String arg : given.subList(sub + 1, given.size())) {
      for (java.util.Map.Entry<String, String> e : env.entrySet()) {
        arg = arg.replace("$(" + e.getKey() + ")", e.getValue());
      }
      args.add(arg);
    }
    DriverSettings s = settings(args.toArray(String[]::new));
    assertEquals("node-1", s.nodeId());
    assertEquals(Path.of("/csi/csi.sock"), s.socket());
  }
}
