package io.sscsi.synccontroller;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.Main;
import io.sscsi.config.GoFlags;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code sscsi sync-controller}'s flags: SSC's names and defaults, read with Go's flag rules. */
class SyncControllerFlagsTest {

  @Test
  void defaultsAreSscs() {
    SyncControllerFlags f = SyncControllerFlags.parse(List.of());
    assertEquals("/provider", f.providerVolume);
    assertEquals(Duration.ofHours(12), f.rotationPollInterval());
    assertEquals(":8085", f.metricsBindAddress);
    assertEquals(":8081", f.healthProbeBindAddress);
    assertEquals("127.0.0.1:8095", f.adminAddr);
    assertFalse(f.leaderElect);
    assertEquals("29f1d54e.secret-sync.x-k8s.io", f.leaderElectionId);
    assertEquals(4 << 20, f.maxCallRecvMsgSize);
    assertEquals(List.of(), f.audiences());
  }

  @Test
  void goFlagFormsAsSscsDeploymentWritesThem() {
    SyncControllerFlags f = SyncControllerFlags.parse(List.of("-provider-volume", "/p", "--token-request-audience=a, b",
        "--rotation-poll-interval=0", "-leader-elect", "--max-call-recv-msg-size=0x100", "-v=5",
        "--metrics-bind-address", ":9000", "--leader-election-namespace=kube-system"));
    assertEquals("/p", f.providerVolume);
    assertEquals(List.of("a", "b"), f.audiences(), "the chart's \", \" join gives two clean audiences");
    assertEquals(Duration.ZERO, f.rotationPollInterval());
    assertTrue(f.leaderElect);
    assertEquals(256, f.maxCallRecvMsgSize);
    assertEquals(5, f.verbosity);
    assertEquals(":9000", f.metricsBindAddress);
    assertEquals("kube-system", f.leaderElectionNamespace);
  }

  @Test
  void anUnknownFlagIsRefusedAsGoRefusesItWithExitTwo() {
    assertThrows(GoFlags.BadFlag.class, () -> SyncControllerFlags.parse(List.of("--no-such-flag")));
    var cli = Main.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    assertEquals(2, Main.execute(cli, "sync-controller", "--no-such-flag"));
    assertTrue(err.toString().contains("flag provided but not defined: -no-such-flag"), err.toString());
  }
}
