package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import com.google.protobuf.ByteString;
import io.sscsi.provider.v1alpha1.File;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A provider that returns a dangerous path is refused, and nothing is written anywhere; modes and
 * duplicate paths follow upstream's rules by default.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class ProviderPayloadTest {
  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static CsiClient csi;

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client);
    provider = driver.provider("bad");
    csi = driver.client();
    new Cluster(client).secretProviderClass("ns", "spc", "bad", Map.of("objects", "x"));
  }

  @AfterAll
  static void stop() throws Exception {
    csi.close();
    provider.close();
    driver.close();
  }

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of("../x", 0644, "'..'"),
        Arguments.of("/etc/x", 0644, "absolute"),
        Arguments.of("a/../../x", 0644, "'..'"),
        Arguments.of("a".repeat(5000), 0644, "4096"),
        Arguments.of("..data", 0644, ".."),
        Arguments.of("a//b", 0644, "clean"));
  }

  @ParameterizedTest(name = "{0} mode {1}")
  @MethodSource("badFiles")
  void refusedWithAClearStatusAndNothingWritten(String path, int mode, String reason) throws Exception {
    provider.answerNow(TestProvider.file(path, mode, "PAYLOAD"));
    Path target = driver.target("uid-p", "v");
    List<Path> before = listAll(driver.root);

    Status status = csi.publish(Requests.publish(target, "ns", "pod", "uid-p", "spc").build());

    assertEquals(Status.Code.INTERNAL, status.getCode());
    assertTrue(status.getDescription().contains("provider bad returned an invalid file \""), status.getDescription());
    assertTrue(status.getDescription().toLowerCase().contains(reason.toLowerCase()), status.getDescription());
    assertFalse(status.getDescription().contains("PAYLOAD"), "the status never quotes content");
    assertTrue(driver.mounts().isEmpty());
    assertFalse(Files.exists(target));
    assertEquals(before, listAll(driver.root), "nothing written under the driver's directories");
    assertFalse(Files.exists(Path.of("/etc/x")));
  }

  /** Issue 13 item 9: upstream writes {@code mode & 0777} and, of duplicate paths, the last. */
  @Test
  void upstreamsRulesForModesAndDuplicatesByDefault() throws Exception {
    provider.answerNow(MountResponse.newBuilder()
        .addFiles(file("setuid", 04755, "S"))
        .addFiles(file("negative", -1, "N"))
        .addFiles(file("big", 0100644, "B"))
        .addFiles(file("dup", 0600, "first"))
        .addFiles(file("dup", 0640, "last"))
        .addObjectVersion(ObjectVersion.newBuilder().setId("secret/x").setVersion("v1"))
        .build());
    Path target = driver.target("uid-up", "v");

    Status status = csi.publish(Requests.publish(target, "ns", "pod-up", "uid-up", "spc").build());

    assertEquals(Status.Code.OK, status.getCode(), status.getDescription());
    assertEquals(0755, mode(target.resolve("setuid")), "no setuid bit");
    assertEquals(0777, mode(target.resolve("negative")));
    assertEquals(0644, mode(target.resolve("big")));
    assertEquals("last", Files.readString(target.resolve("dup")));
    assertEquals(0640, mode(target.resolve("dup")));
    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
  }

  private static File file(String path, int mode, String contents) {
    return File.newBuilder().setPath(path).setMode(mode).setContents(ByteString.copyFromUtf8(contents)).build();
  }

  private static int mode(Path p) throws Exception {
    return (int) Files.getAttribute(p, "unix:mode") & 07777;
  }

  private static List<Path> listAll(Path root) throws Exception {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(p -> !p.toString().contains("/pods")).sorted().toList();
    }
  }

  static MountResponse unused() {
    return MountResponse.getDefaultInstance();
  }
}
