package io.sscsi.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sscsi.Main;
import io.sscsi.config.DriverSettings;
import io.sscsi.config.GoFlags;
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

  /** The driver's command line read as Main reads it: Go's flag rules, then picocli. */
  static DriverCommand parse(String... args) {
    DriverCommand command = new DriverCommand();
    CommandLine cli = new CommandLine(command);
    GoFlags.Parsed go = DriverCommand.goFlags(cli.getCommandSpec()).parse(List.of(args));
    cli.parseArgs(go.args().toArray(String[]::new));
    return command;
  }

  static DriverSettings settings(String... args) {
    return DriverSettings.from(parse(args).config());
  }

  /** Runs {@code sscsi args} up to the point where the driver would start; the exit code and stderr. */
  static String[] run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.getSubcommands().get("driver").setErr(new PrintWriter(err, true));
    int exit = Main.execute(cli, args);
    return new String[] {String.valueOf(exit), err.toString()};
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
      "--enable-secret-rotation=yes | -enable-secret-rotation",
      "--no-such-flag | -no-such-flag",
      "-endpoint | -endpoint",
      "--tmpfs-mount-options=nosuid,exec | exec",
      "--vmodule=foo | filename=N",
      "--stderrthreshold=LOUD | --stderrthreshold",
      "--log_backtrace_at=main | file.go:234",
      "--provider-health-check --provider-health-check-interval=0 | --provider-health-check-interval",
      "--max-call-recv-msg-size=big | --max-call-recv-msg-size",
      "--metrics-addr=nope | --metrics-addr",
      "--metrics-backend=opencensus | --metrics-backend",
      "--max-call-recv-msg-size=0 | --max-call-recv-msg-size",
      "--endpoint=tcp://0.0.0.0:10000 | endpoint"})
  void aBadFlagExitsNonZeroWithOneLineNamingIt(String flags, String named) {
    String[] args = ("driver " + flags).split(" ");
    String[] result = run(args);
    assertEquals("2", result[0], result[1]);
    List<String> lines = result[1].lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), "one line: " + result[1]);
    assertTrue(lines.get(0).contains(named), lines.get(0));
  }

  /** Issue 13 item 2: upstream's e2e appends --enable-secret-rotation=true to args that carry =false. */
  @Test
  void aRepeatedFlagKeepsItsLastValueAsGoDoes() {
    DriverSettings s = settings("--enable-secret-rotation=false", "--rotation-poll-interval=2m", "-v=1",
        "--enable-secret-rotation=true", "--rotation-poll-interval=30s", "-v=5", "--nodeid=a", "-nodeid", "b");
    assertTrue(s.volumes().rotationEnabled());
    assertEquals(Duration.ofSeconds(30), s.volumes().rotationInterval());
    assertEquals("b", s.nodeId());
    assertEquals("TRACE", parse("-v=1", "-v=5").config().getString("sscsi.driver.log-level"));
    assertEquals("2", run("driver", "--enable-secret-rotation=false", "--enable-secret-rotation=maybe")[0],
        "the last value is still checked");
  }

  /** Issue 13 item 3: a patch that replaces the DaemonSet's args with upstream's flags (no `driver`). */
  @Test
  void aFirstArgumentThatIsAFlagRunsTheDriver() {
    String[] bad = run("--nodeid=node-1", "--endpoint=tcp://0.0.0.0:10000");
    assertEquals("2", bad[0], bad[1]);
    assertTrue(bad[1].startsWith("sscsi driver: ") && bad[1].contains("endpoint"), bad[1]);
    String[] unknown = run("-no-such-flag");
    assertEquals("2", unknown[0]);
    assertEquals("sscsi driver: flag provided but not defined: -no-such-flag", unknown[1].strip());
    assertEquals("0", run("-version")[0], "upstream's -version prints the version and exits 0");
    assertEquals("0", run("--version=true")[0]);
    assertEquals("0", run("-h")[0], "Go's -h prints the usage and exits 0");
    assertEquals("0", run("volumes", "--help")[0], "subcommands keep working");
    assertEquals("2", run("publish", "--no-such-option")[0], "subcommands keep their own parsing");
  }

  /**
   * Issue 13 item 4: upstream's flags and klog's (as klog's InitFlags registers them on upstream's
   * binary) in every form Go's flag package takes: single dash, --flag value, booleans alone or with
   * any of Go's spellings.
   */
  @Test
  void upstreamAndKlogFlagsInGoFormsAreAccepted() {
    DriverCommand command = parse("-endpoint=unix:///csi/csi.sock", "-nodeid", "node-1",
        "--provider-volume", "/var/run/secrets-store-csi-providers",
        "-additional-provider-volume-paths=/etc/kubernetes/secrets-store-csi-providers",
        "-v", "2", "--logtostderr", "-alsologtostderr=false", "--vmodule=nodeserver=5,provider_client=3",
        "--log_file=/tmp/driver.log", "-log_dir", "/tmp", "--log_file_max_size=0x100", "-stderrthreshold=warning",
        "--one_output", "--skip_headers=True", "--add_dir_header=0", "--skip_log_headers=f",
        "--log_backtrace_at=main.go:10", "--legacy_stderr_threshold_behavior=FALSE",
        "-metrics-addr=:8095", "--max-call-recv-msg-size=0x400000", "-enable-secret-rotation",
        "--rotation-poll-interval", "1m30s", "--provider-health-check=t", "--provider-health-check-interval=45s",
        "-log-format-json=F", "--enable-pprof=false", "-pprof-port=6065", "--kubeconfig=", "-version=false");
    DriverSettings s = DriverSettings.from(command.config());
    assertEquals(Path.of("/csi/csi.sock"), s.socket());
    assertEquals("node-1", s.nodeId());
    assertEquals(List.of(Path.of("/etc/kubernetes/secrets-store-csi-providers"),
        Path.of("/var/run/secrets-store-csi-providers")), s.providers().socketDirs());
    assertEquals(4194304, s.providers().maxReceiveBytes());
    assertTrue(s.volumes().rotationEnabled());
    assertEquals(Duration.ofSeconds(90), s.volumes().rotationInterval());
    assertEquals(Duration.ofSeconds(45), s.providers().healthCheckInterval());
    assertEquals("DEBUG", command.config().getString("sscsi.driver.log-level"));
    assertEquals(List.of("--vmodule is ignored: -v sets one level for the whole driver"), command.klog.warnings());
    assertEquals(List.of("--log_dir/--log_file: klog's log files are not written; logs go to the console"),
        parse("--logtostderr=false", "--log_dir=/var/log").klog.warnings());
  }

  /** Issue 13 item 8: upstream accepts 0 (and negatives): no republish is ever skipped. */
  @ParameterizedTest
  @CsvSource({"0", "0s", "-1m"})
  void aZeroRotationIntervalCallsTheProviderOnEveryRepublishWithoutATimer(String interval) {
    DriverSettings s = settings("--enable-secret-rotation", "--rotation-poll-interval=" + interval);
    assertEquals(Duration.ZERO, s.volumes().rotationInterval());
    assertFalse(s.volumes().rotationTimer(), "a timer with no interval would spin");
    assertTrue(settings("--rotation-poll-interval=1s").volumes().rotationTimer());
  }

  @Test
  void hardeningIsOptIn() {
    DriverSettings upstream = settings();
    assertEquals(io.sscsi.fs.PayloadRules.Policy.UPSTREAM, upstream.providers().payloadPolicy());
    assertEquals("", parse().config().getString("sscsi.driver.tmpfs-mount-options"));
    assertEquals(io.sscsi.fs.PayloadRules.Policy.STRICT, settings("--strict-payload").providers().payloadPolicy());
    assertEquals("nosuid,nodev,noexec", parse("--tmpfs-mount-options=nosuid,nodev,noexec").config()
        .getString("sscsi.driver.tmpfs-mount-options"));
    assertEquals(io.sscsi.k8s.SecretOwnerPolicy.WORKLOAD, upstream.secretOwners(), "upstream's owners by default");
    assertEquals(io.sscsi.k8s.SecretOwnerPolicy.POD_STATUS, settings("--secret-owner=pod-status").secretOwners());
    assertEquals(io.sscsi.k8s.SecretOwnerPolicy.WORKLOAD, settings("--secret-owner", "workload").secretOwners());
    IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> settings("--secret-owner=pod"));
    assertTrue(bad.getMessage().contains("--secret-owner"), bad.getMessage());
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
