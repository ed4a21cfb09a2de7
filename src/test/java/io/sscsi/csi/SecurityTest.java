package io.sscsi.csi;

import static io.sscsi.csi.BadInputCorpusSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What an attacker on the node or in the API server may change does not redirect the driver's
 * writes or deletes: (a) a SecretProviderClassPodStatus whose {@code status.targetPath} was edited
 * is never used as a write destination, (b) symlinks planted in a target, before the first publish
 * or inside a mounted volume, are never followed on publish, refresh or unpublish, and a target
 * that is itself a symlink is refused; (c) a log scan over the whole class's run, at TRACE, finds
 * no file content, node-publish secret or service-account token. The driver runs with rotation on
 * (1 s interval, refreshes on kubelet's republish only, no timer).
 */
@EnableKubernetesMockClient(crud = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Integration
class SecurityTest {
  static final String FIRST_CONTENT = "SECURITY-FILE-CONTENT-91c2";
  static final String ROTATED_CONTENT = "SECURITY-ROTATED-CONTENT-4e7b";
  static final String PUBLISH_SECRET = "SECURITY-NODE-PUBLISH-SECRET-a8d0";
  static final String TOKEN_MARK = "SECURITY-SA-TOKEN-77f1";
  static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9." + TOKEN_MARK + ".c2ln";
  static final List<String> SECRETS = List.of(FIRST_CONTENT, ROTATED_CONTENT, PUBLISH_SECRET, TOKEN_MARK);
  static final String OUTSIDE_ORIGINAL = "outside-original";

  static LogCapture logs;
  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static CsiClient csi;
  static Cluster cluster;
  static Path outside;
  /** What the provider's single object {@code foo} holds now, and its version. */
  static final AtomicReference<String> content = new AtomicReference<>(FIRST_CONTENT);
  static final AtomicInteger version = new AtomicInteger(1);

  @BeforeAll
  static void start() throws Exception {
    logs = LogCapture.open(); // before the driver starts: the scan covers the class's whole run
    driver = DriverHarness.start(client, Map.of(
        "sscsi.driver.enable-secret-rotation", true,
        "sscsi.driver.rotation-poll-interval", "1s",
        "sscsi.driver.rotation-timer", false));
    provider = driver.provider("sec").answer(r -> CompletableFuture.completedFuture(current()));
    csi = driver.client();
    cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "spc", "sec", Map.of("objects", "foo"));
    outside = Files.createTempDirectory("sscsi-outside-");
    Files.writeString(outside.resolve("foo"), OUTSIDE_ORIGINAL);
    Files.createDirectory(outside.resolve("dir"));
    Files.writeString(outside.resolve("dir/keep"), OUTSIDE_ORIGINAL);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (csi != null) {
        csi.close();
      }
      if (provider != null) {
        provider.close();
      }
      if (driver != null) {
        driver.close();
      }
      if (outside != null) {
        deleteTree(outside);
      }
    } finally {
      logs.close();
    }
  }

  static MountResponse current() {
    return TestProvider.file("foo", 0644, content.get()).toBuilder()
        .setObjectVersion(0, ObjectVersion.newBuilder().setId("secret/foo").setVersion("v" + version.get()))
        .build();
  }

  static void rotate() {
    content.set(ROTATED_CONTENT);
    version.incrementAndGet();
  }

  /** Kubelet's request, carrying a node-publish secret and a service-account token for the log scan. */
  /**
   * Republishes (kubelet does so every rotation interval) until one republish refreshed through the
   * provider; each republish answers OK, within the interval without a provider call.
   */
  static void republishUntilRefreshed(Path target, String uid, int callsBefore) {
    Await.until("a republish refreshed through the provider", () -> {
      if (provider.requests.size() != callsBefore) {
        return true;
      }
      assertEquals(Status.Code.OK, publish(target, uid).getCode());
      return provider.requests.size() != callsBefore;
    });
  }

  static Status publish(Path target, String uid) {
    String tokens = "{\"sec\":{\"token\":\"" + TOKEN + "\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}";
    return csi.publish(Requests.publish(target, "ns", "pod-" + uid, uid, "spc")
        .putVolumeContext("csi.storage.k8s.io/serviceAccount.tokens", tokens)
        .putSecrets("password", PUBLISH_SECRET)
        .build());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> statusOf(GenericKubernetesResource spcps) {
    return (Map<String, Object>) spcps.getAdditionalProperties().get("status");
  }

  @Test
  @Order(1)
  void anEditedStatusTargetPathNeverRedirectsAWrite() throws Exception {
    content.set(FIRST_CONTENT);
    Path target = driver.target("uid-a", "v");
    Path elsewhere = Files.createDirectories(outside.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("foo"), OUTSIDE_ORIGINAL);
    assertEquals(Status.Code.OK, publish(target, "uid-a").getCode());
    String name = "pod-uid-a-ns-spc";

    GenericKubernetesResource spcps = cluster.podStatus("ns", name);
    assertEquals(target.toString(), statusOf(spcps).get("targetPath"));
    statusOf(spcps).put("targetPath", elsewhere.toString());
    client.genericKubernetesResources(Cluster.SPCPS).inNamespace("ns").resource(spcps).update();
    assertEquals(elsewhere.toString(), statusOf(cluster.podStatus("ns", name)).get("targetPath"),
        "the status object now points elsewhere");
    Map<String, String> outsideBefore = snapshot(outside);
    int calls = provider.requests.size();

    rotate();
    republishUntilRefreshed(target, "uid-a", calls); // past the rotation interval a republish refreshes

    assertEquals(calls + 1, provider.requests.size(), "the republish refreshed through the provider");
    MountRequest refresh = provider.requests.get(provider.requests.size() - 1);
    assertEquals(target.toString(), refresh.getTargetPath(), "the provider is told the real target");
    assertEquals(ROTATED_CONTENT, Files.readString(target.resolve("foo")), "the refresh wrote the real target");
    assertEquals(outsideBefore, snapshot(outside), "the edited path is untouched");
    assertNothingMounted(outside);
    assertEquals(target.toString(), statusOf(cluster.podStatus("ns", name)).get("targetPath"),
        "the status object is rewritten with the real target");

    statusOf(spcps = cluster.podStatus("ns", name)).put("targetPath", elsewhere.toString());
    client.genericKubernetesResources(Cluster.SPCPS).inNamespace("ns").resource(spcps).update();
    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    assertFalse(Files.exists(target), "unpublish removed the real target");
    assertEquals(outsideBefore, snapshot(outside), "unpublish did not touch the edited path");
    assertTrue(driver.mounts().isEmpty());
    deleteTree(elsewhere);
  }

  @Test
  @Order(2)
  void aSymlinkPlantedBeforePublishIsFollowedNeitherOnPublishNorOnUnpublish() throws Exception {
    content.set(FIRST_CONTENT);
    Path target = driver.target("uid-b", "v");
    Files.createDirectories(target);
    Files.createSymbolicLink(target.resolve("foo"), outside.resolve("foo"));
    Files.createSymbolicLink(target.resolve("dir"), outside.resolve("dir"));
    Map<String, String> outsideBefore = snapshot(outside);

    assertEquals(Status.Code.OK, publish(target, "uid-b").getCode());
    assertEquals(FIRST_CONTENT, Files.readString(target.resolve("foo")), "the target's foo is our file");
    assertEquals(Path.of("..data/foo"), Files.readSymbolicLink(target.resolve("foo")));
    assertEquals(OUTSIDE_ORIGINAL, Files.readString(outside.resolve("foo")));
    assertEquals(outsideBefore, snapshot(outside));

    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS), "target removed, planted links with it");
    assertEquals(OUTSIDE_ORIGINAL, Files.readString(outside.resolve("foo")), "the link's destination survives");
    assertEquals(outsideBefore, snapshot(outside), "nothing outside was deleted or changed");
    assertTrue(driver.mounts().isEmpty());
    assertNothingMounted(outside);
  }

  @Test
  @Order(3)
  void symlinksPlantedInsideAMountedVolumeAreReplacedOnRefreshAndRemovedOnUnpublish() throws Exception {
    content.set(FIRST_CONTENT);
    Path target = driver.target("uid-c", "v");
    assertEquals(Status.Code.OK, publish(target, "uid-c").getCode());
    // Inside the mounted tmpfs: our foo link swapped for one pointing outside, ..data pointed
    // outside, and a stray link to an outside directory.
    Files.delete(target.resolve("foo"));
    Files.createSymbolicLink(target.resolve("foo"), outside.resolve("foo"));
    Files.delete(target.resolve("..data"));
    Files.createSymbolicLink(target.resolve("..data"), outside);
    Files.createSymbolicLink(target.resolve("stray"), outside.resolve("dir"));
    Map<String, String> outsideBefore = snapshot(outside);

    rotate();
    republishUntilRefreshed(target, "uid-c", provider.requests.size());

    assertEquals(ROTATED_CONTENT, Files.readString(target.resolve("foo")), "the refresh wrote our file");
    assertEquals(Path.of("..data/foo"), Files.readSymbolicLink(target.resolve("foo")), "our link is back");
    assertTrue(Files.readSymbolicLink(target.resolve("..data")).toString().startsWith(".."), "..data is ours again");
    assertEquals(outsideBefore, snapshot(outside), "nothing written through the planted links");

    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
    assertEquals(outsideBefore, snapshot(outside), "unpublish removed the links, not their destinations");
    assertTrue(driver.mounts().isEmpty());
  }

  @Test
  @Order(4)
  void aTargetThatIsItselfASymlinkIsRefusedAndNothingIsMountedThroughIt() throws Exception {
    Path target = driver.target("uid-d", "v");
    Files.createDirectories(target.getParent());
    Files.createSymbolicLink(target, outside.resolve("dir"));
    Map<String, String> outsideBefore = snapshot(outside);
    int calls = provider.requests.size();

    Status status = publish(target, "uid-d");

    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains(target.toString()), status.getDescription());
    assertTrue(status.getDescription().contains("symbolic link"), status.getDescription());
    assertEquals(calls, provider.requests.size(), "the provider was not called");
    assertNothingMounted(outside);
    assertTrue(driver.mounts().isEmpty());
    assertEquals(outsideBefore, snapshot(outside));
    assertTrue(Files.isSymbolicLink(target), "the planted link is left for its owner");

    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    assertEquals(outsideBefore, snapshot(outside), "unpublish does not delete through the link");
    assertNothingMounted(outside);
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void theLogsOfTheWholeClassHoldNoSecretOrToken() {
    String all = logs.all();
    assertTrue(all.contains("CSI NodePublishVolume ok"), "publishes were logged at DEBUG, so the scan saw them");
    assertTrue(all.contains("CSI NodePublishVolume failed"), "a failure was logged with its request");
    assertTrue(all.contains("refreshed"), "refreshes were logged");
    assertTrue(all.contains(LogSanitizer.STRIPPED), "the token attribute is shown stripped");
    for (String secret : SECRETS) {
      assertFalse(all.contains(secret), "log output contains a secret: " + secret);
    }
    // The scan is not vacuous: every one of them went through the driver.
    String attributes = provider.requests.get(0).getAttributes();
    assertTrue(attributes.contains(TOKEN_MARK), "the token reached the provider");
    assertTrue(provider.requests.get(0).getSecrets().contains(PUBLISH_SECRET), "the secret reached the provider");
  }
}
