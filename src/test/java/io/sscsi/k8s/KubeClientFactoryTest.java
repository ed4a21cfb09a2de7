package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.Config;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.status.PodStatus;
import io.sscsi.testkit.RefusedPort;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class KubeClientFactoryTest {

  @TempDir Path dir;

  private static KubeClientFactory.Settings fast(Path kubeconfig, Duration requestTimeout) {
    return new KubeClientFactory.Settings(
        Optional.of(kubeconfig),
        Duration.ofMillis(500),
        requestTimeout,
        1,
        Duration.ofMillis(20),
        "sscsi/test");
  }

  private static PodStatus podStatus() {
    return new PodStatus("p", "ns", "uid", "spc", "node", "/t", Map.of("a", "1"));
  }

  private static DriverException assertUnavailable(Executable call) {
    DriverException e = assertThrows(DriverException.class, call);
    assertEquals(FailureKind.API_UNAVAILABLE, e.kind(), e.getMessage());
    return e;
  }

  @Test
  void defaultsMatchTheDriversPolicy() {
    KubeClientFactory.Settings s = KubeClientFactory.Settings.defaults(Optional.empty(), "1.2.3");
    assertEquals(Duration.ofSeconds(5), s.connectTimeout());
    assertEquals(Duration.ofSeconds(10), s.requestTimeout());
    assertEquals("sscsi/1.2.3", s.userAgent());
  }

  @Test
  void explicitKubeconfigIsUsedWithTheConfiguredTimeouts() {
    Path kubeconfig = KubeTestSupport.kubeconfig(dir, "https://10.0.0.1:6443");
    Config config =
        KubeClientFactory.config(KubeClientFactory.Settings.defaults(Optional.of(kubeconfig), "9"));
    assertEquals("https://10.0.0.1:6443/", config.getMasterUrl());
    assertEquals(5000, config.getConnectionTimeout());
    assertEquals(10000, config.getRequestTimeout());
    assertEquals("sscsi/9", config.getUserAgent());
    assertEquals(1, config.getRequestRetryBackoffLimit());
    // The file is kept so fabric8 can re-read rotated credentials after a 401.
    assertEquals(kubeconfig.toFile().getAbsoluteFile(), config.getFile().getAbsoluteFile());
  }

  @Test
  void autoConfigurationAppliesTheSameSettings() {
    Config config =
        KubeClientFactory.config(KubeClientFactory.Settings.defaults(Optional.empty(), "9"));
    assertEquals(5000, config.getConnectionTimeout());
    assertEquals(10000, config.getRequestTimeout());
    assertEquals("sscsi/9", config.getUserAgent());
  }

  @Test
  void unreadableKubeconfigIsRejected() {
    Path missing = dir.resolve("nope");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KubeClientFactory.create(KubeClientFactory.Settings.defaults(Optional.of(missing), "t")));
    assertTrue(e.getMessage().contains(missing.toString()));
  }

  @Test
  void unreachableApiServerIsApiUnavailable() {
    try (RefusedPort refused = RefusedPort.open()) {
      Path kubeconfig = KubeTestSupport.kubeconfig(dir, "http://" + refused.address());
      try (KubeConnection c = KubeClientFactory.create(fast(kubeconfig, Duration.ofSeconds(2)))) {
        DriverException e = assertUnavailable(() -> new KubeProviderClassSource(c).get("ns", "spc"));
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        assertUnavailable(() -> new KubePodStatusStore(c).upsert(podStatus()));
        assertUnavailable(() -> new KubePodStatusStore(c).delete("ns", "p-ns-spc"));
      }
    }
  }

  @Test
  void silentApiServerTimesOutAsApiUnavailable() throws IOException {
    List<Socket> held = java.util.Collections.synchronizedList(new ArrayList<>());
    try (ServerSocket silent = new ServerSocket(0)) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(silent.accept());
                  }
                } catch (IOException closed) {
                  // test over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      Path kubeconfig = KubeTestSupport.kubeconfig(dir, "http://127.0.0.1:" + silent.getLocalPort());
      KubeClientFactory.Settings settings =
          new KubeClientFactory.Settings(
              Optional.of(kubeconfig), Duration.ofMillis(500), Duration.ofMillis(300), 0,
              Duration.ofMillis(20), "sscsi/test");
      try (KubeConnection c = KubeClientFactory.create(settings)) {
        // the request timeout, not the connection, ends the call: the server accepted and stays silent
        DriverException e = assertUnavailable(() -> new KubeProviderClassSource(c).get("ns", "spc"));
        assertTrue(e.getMessage().contains("did not answer in time"), e.getMessage());
      }
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }
}
