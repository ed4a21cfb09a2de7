package io.sscsi.local;

import io.sscsi.testkit.Integration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.sscsi.DriverProcess;
import io.sscsi.Guardian;
import io.sscsi.config.DriverSettings;
import io.sscsi.fileprovider.FileProvider;
import io.sscsi.fileprovider.ObjectFiles;
import io.sscsi.fs.DirectoryMounter;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.fs.Mounter;
import io.sscsi.testkit.CsiClient;
import io.sscsi.testkit.LogCapture;
import io.sscsi.testkit.Requests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver in local mode, in-process: manifests from a directory, pod status files, the bundled
 * file provider on its own unix socket, kubelet's requests on the real CSI socket; with a real
 * tmpfs and with {@code --no-tmpfs}'s plain directories.
 */
@Integration
class LocalDriverTest {
  @TempDir Path dir;
  DriverProcess driver;
  FileProvider provider;

  Config config(Map<String, Object> extra) {
    Map<String, Object> o = new java.util.HashMap<>(Map.of(
        "sscsi.driver.endpoint", "unix://" + dir.resolve("csi.sock"),
        "sscsi.driver.node-id", "laptop",
        "sscsi.driver.provider-volume", dir.resolve("providers").toString(),
        "sscsi.driver.additional-provider-volume-paths", List.of(),
        "sscsi.driver.local-classes", dir.resolve("classes").toString(),
        "sscsi.driver.local-state", dir.resolve("state").toString(),
        "sscsi.driver.core-start-wait", "0s",
        "sscsi.driver.metrics-addr", "", "sscsi.driver.admin-addr", ""));
    o.putAll(extra);
    return ConfigFactory.parseMap(o).withFallback(ConfigFactory.load()).resolve();
  }

  @BeforeEach
  void writeClassesAndSources() throws Exception {
    Files.createDirectories(dir.resolve("classes"));
    Files.writeString(dir.resolve("classes/app.yaml"), "apiVersion: secrets-store.csi.x-k8s.io/v1\n"
        + "kind: SecretProviderClass\nmetadata: {name: app, namespace: team-a}\n"
        + "spec:\n  provider: file\n  parameters:\n    objects: |\n      array:\n        - |\n          objectName: db/pass\n"
        + "          objectAlias: password\n");
    Files.createDirectories(dir.resolve("root/db"));
    Files.writeString(dir.resolve("root/db/pass"), "hunter2");
  }

  void start(Config config) throws Exception {
    provider = FileProvider.serve(dir.resolve("root"), dir.resolve("providers/file.sock"));
    LocalMode local = LocalMode.from(config).orElseThrow();
    Mounter mounter = LocalMode.mounter(config, Optional.of(local));
    local.announce();
    driver = DriverProcess.serve(DriverSettings.from(config), config,
        () -> new DriverProcess.Core(new Guardian.Edges(local.classes(), local.statuses(), mounter), () -> {}));
    driver.core().join();
  }

  @AfterEach
  void stop() {
    if (driver != null) {
      driver.close();
    }
    if (provider != null) {
      provider.close();
    }
    for (MountEntry m : new MountTable().under(dir)) {
      new JnrMounter().unmount(m.mountPoint());
    }
  }

  @Test
  void publishesATmpfsFromManifestsAndWritesTheStatusFile() throws Exception {
    try (LogCapture logs = LogCapture.open()) {
      start(config(Map.of()));
      assertTrue(logs.all().contains("local mode: SecretProviderClasses from " + dir.resolve("classes")), logs.all());
      assertTrue(logs.all().contains("SecretProviderClassPodStatus objects and Secret sync are off"));
    }
    Path target = dir.resolve("pods/uid-1/volumes/kubernetes.io~csi/secrets/mount");
    Path status = dir.resolve("state/team-a/web-1-team-a-app.json");
    try (CsiClient csi = new CsiClient(dir.resolve("csi.sock"))) {
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "team-a", "web-1", "uid-1", "app").build()).getCode());
      assertEquals("hunter2", Files.readString(target.resolve("password")));
      List<MountEntry> mounts = new MountTable().under(dir);
      assertEquals(1, mounts.size());
      assertEquals("tmpfs", mounts.get(0).fsType());
      assertEquals(Map.of("file/db/pass", ObjectFiles.version("hunter2".getBytes(StandardCharsets.UTF_8))),
          LocalPodStatusStore.readVersions(status));

      Status missing = csi.publish(Requests.publish(dir.resolve("t2"), "default", "web-1", "uid-1", "app").build());
      assertEquals(Status.Code.NOT_FOUND, missing.getCode());
      assertTrue(missing.getDescription().contains("SecretProviderClass \"app\" not found in namespace \"default\""));

      assertEquals(Status.Code.OK, csi.unpublish("vol", target).getCode());
      assertTrue(new MountTable().under(dir).isEmpty());
      assertFalse(Files.exists(target));
      assertFalse(Files.exists(status), "status file removed with the volume");
    }
  }

  @Test
  void noTmpfsPublishesIntoAPlainDirectory() throws Exception {
    Config config = config(Map.of("sscsi.driver.tmpfs", false));
    assertInstanceOf(DirectoryMounter.class, LocalMode.mounter(config, LocalMode.from(config)));
    start(config);
    Path target = dir.resolve("plain/mount");
    try (CsiClient csi = new CsiClient(dir.resolve("csi.sock"))) {
      assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "team-a", "web-1", "uid-1", "app").build()).getCode());
      assertEquals("hunter2", Files.readString(target.resolve("password")));
      assertTrue(new MountTable().under(dir).isEmpty(), "nothing mounted");
      assertEquals(Status.Code.OK, csi.unpublish("vol", target).getCode());
      assertFalse(Files.exists(target));
    }
  }

  @Test
  void noTmpfsIsRefusedOutsideLocalModeAndAMissingDirectoryIsAUsageError() {
    Config cluster = ConfigFactory.parseMap(Map.of("sscsi.driver.tmpfs", false)).withFallback(ConfigFactory.load());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LocalMode.mounter(cluster, LocalMode.from(cluster)));
    assertTrue(e.getMessage().startsWith("--no-tmpfs is for laptops and demos only and needs --local-classes"));
    assertInstanceOf(JnrMounter.class, LocalMode.mounter(ConfigFactory.load(), Optional.empty()));

    Config missing = config(Map.of("sscsi.driver.local-classes", dir.resolve("nope").toString()));
    assertEquals("--local-classes " + dir.resolve("nope") + " is not a directory",
        assertThrows(IllegalArgumentException.class, () -> LocalMode.from(missing)).getMessage());
  }
}
