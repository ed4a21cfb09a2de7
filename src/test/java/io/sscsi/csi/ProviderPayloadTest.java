package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A provider that returns a dangerous file is refused, and nothing is written anywhere. */
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
        Arguments.of("setuid", 04777, "mode"),
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

  private static List<Path> listAll(Path root) throws Exception {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(p -> !p.toString().contains("/pods")).sorted().toList();
    }
  }

  static MountResponse unused() {
    return MountResponse.getDefaultInstance();
  }
}
