package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.fs.MountEntry;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Kubelet's path end to end: a grpc-java client on the real CSI unix socket, the real driver, a
 * real provider on its own unix socket, a real tmpfs; the SPC and Pod in fabric8's CRUD mock.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class PublishEndToEndTest {
  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static CsiClient csi;

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client);
    provider = driver.provider("test");
    csi = driver.client();
    Cluster cluster = new Cluster(client);
    cluster.secretProviderClass("team-a", "db-creds", "test", Map.of("objects", "- objectName: foo"));
    cluster.pod("team-a", "web-1", "uid-1");
  }

  @AfterAll
  static void stop() throws Exception {
    csi.close();
    provider.close();
    driver.close();
  }

  @Test
  void publishMountsTmpfsWithFilesAndUnpublishRemovesEverything() throws Exception {
    provider.answerNow(TestProvider.files(Map.of("foo", "s3cr3t", "dir/bar", "other")));
    Path target = driver.target("uid-1", "secrets");

    Status published = csi.publish(Requests.publish(target, "team-a", "web-1", "uid-1", "db-creds").build());

    assertEquals(Status.Code.OK, published.getCode(), published.toString());
    assertEquals("s3cr3t", Files.readString(target.resolve("foo")));
    assertEquals("other", Files.readString(target.resolve("dir/bar")));
    List<MountEntry> mounts = driver.mounts();
    assertEquals(1, mounts.size());
    assertEquals(target, mounts.get(0).mountPoint());
    assertEquals("tmpfs", mounts.get(0).fsType());
    assertTrue(Files.readString(Path.of("/proc/self/mounts")).contains(target + " tmpfs"));

    GenericKubernetesResource status = new Cluster(client).podStatus("team-a", "web-1-team-a-db-creds");
    assertNotNull(status, "SecretProviderClassPodStatus created");
    assertEquals("node-1", status.getMetadata().getLabels().get("internal.secrets-store.csi.k8s.io/node-name"));
    assertEquals("uid-1", status.getMetadata().getOwnerReferences().get(0).getUid());
    assertEquals("Pod", status.getMetadata().getOwnerReferences().get(0).getKind());
    @SuppressWarnings("unchecked")
    Map<String, Object> st = (Map<String, Object>) status.getAdditionalProperties().get("status");
    assertEquals(target.toString(), st.get("targetPath"));
    assertEquals(List.of(Map.of("id", "secret/dir/bar", "version", "v1"), Map.of("id", "secret/foo", "version", "v1")),
        st.get("objects"));

    assertEquals(Status.Code.OK, csi.unpublish("vol", target).getCode());
    assertTrue(driver.mounts().isEmpty(), "no mount left");
    assertFalse(Files.exists(target), "target directory removed");
    assertNull(new Cluster(client).podStatus("team-a", "web-1-team-a-db-creds"), "status deleted");
  }

  @Test
  void providerReceivesUpstreamShapedMountRequest() throws Exception {
    provider.answerNow(TestProvider.files(Map.of("foo", "x")));
    provider.requests.clear();
    Path target = driver.target("uid-1", "shape");

    assertEquals(Status.Code.OK, csi.publish(Requests.publish(target, "team-a", "web-1", "uid-1", "db-creds").build()).getCode());

    var request = provider.requests.get(0);
    assertEquals("null", request.getSecrets(), "no nodePublishSecretRef: the JSON literal null");
    assertEquals("420", request.getPermission());
    assertEquals(target.toString(), request.getTargetPath());
    @SuppressWarnings("unchecked")
    Map<String, String> attributes = JsonMapper.builder().build().readValue(request.getAttributes(), Map.class);
    assertEquals("- objectName: foo", attributes.get("objects"), "class parameters");
    assertEquals("db-creds", attributes.get("secretProviderClass"), "volume context");
    assertEquals("uid-1", attributes.get("csi.storage.k8s.io/pod.uid"));
    assertEquals(Status.Code.OK, csi.unpublish("vol", target).getCode());
  }

  @Test
  void publishIsIdempotentAndUnpublishTwiceSucceeds() throws Exception {
    provider.answerNow(TestProvider.files(Map.of("foo", "x")));
    Path target = driver.target("uid-1", "idem");
    var request = Requests.publish(target, "team-a", "web-1", "uid-1", "db-creds").build();

    assertEquals(Status.Code.OK, csi.publish(request).getCode());
    int calls = provider.requests.size();
    assertEquals(Status.Code.OK, csi.publish(request).getCode());
    assertEquals(calls, provider.requests.size(), "an already-mounted volume is not fetched again");
    assertEquals(1, driver.mounts().stream().filter(m -> m.mountPoint().equals(target)).count());

    assertEquals(Status.Code.OK, csi.unpublish("vol", target).getCode());
    assertEquals(Status.Code.OK, csi.unpublish("vol", target).getCode());
    assertTrue(driver.mounts().isEmpty());
  }
}
