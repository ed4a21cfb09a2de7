package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.testkit.*;
import io.sscsi.volume.VolumeView;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 items 3, 4 and 5 against the real driver (real CSI socket, real tmpfs and bind mounts):
 * a target that is someone else's mount is never filled or emptied, a volume with a mount nested
 * inside is refused before anything is deleted (unpublish) or rewritten (refresh) and keeps its
 * content with the error shown in {@code /volumes}, and a target reached through a symlinked parent
 * directory is refused with nothing mounted outside the pods directory. Rotation is on with a zero
 * interval, so every republish refreshes through the provider.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class ForeignMountsTest {
  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static CsiClient csi;
  static final AtomicInteger version = new AtomicInteger(1);
  static final JnrMounter MOUNTER = new JnrMounter();
  /** The provider refuses this pod. */
  static final String REFUSED_UID = "uid-refused-by-provider";

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client, Map.of(
        "sscsi.driver.enable-secret-rotation", true,
        "sscsi.driver.rotation-poll-interval", "0s"));
    provider = driver.provider("keeper").answer(r -> r.getAttributes().contains(REFUSED_UID)
        ? CompletableFuture.failedFuture(io.grpc.Status.PERMISSION_DENIED.withDescription("no access").asRuntimeException())
        : CompletableFuture.completedFuture(
        TestProvider.file("foo", 0644, "secret-v" + version.get()).toBuilder()
            .setObjectVersion(0, io.sscsi.provider.v1alpha1.ObjectVersion.newBuilder()
                .setId("secret/foo").setVersion("v" + version.get())).build()));
    csi = driver.client();
    new Cluster(client).secretProviderClass("ns", "spc", "keeper", Map.of("objects", "foo"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (csi != null) {
      csi.close();
    }
    if (provider != null) {
      provider.close();
    }
    if (driver != null) {
      for (MountEntry m : driver.mounts()) { // nested mounts first: the harness unmounts in table order
        if (m.mountPoint().getFileName().toString().startsWith("zz") || m.mountPoint().endsWith("foo")) {
          MOUNTER.unmount(m.mountPoint());
        }
      }
      driver.close();
    }
  }

  /**
   * Another filesystem's tmpfs for one test, mounted under the driver's root with one file
   * {@code precious} ("theirs"); {@link #bound} binds it (or a directory in it) at a fresh target.
   * Unmounted on close.
   */
  record ForeignTmpfs(Path dir) implements AutoCloseable {
    static ForeignTmpfs mount(String name) throws Exception {
      Path dir = Files.createDirectories(driver.root.resolve(name));
      MOUNTER.mountTmpfs(dir, 0);
      Files.writeString(dir.resolve("precious"), "theirs");
      return new ForeignTmpfs(dir);
    }

    /** Binds {@code source} at the target of volume {@code v} of pod {@code uid}, made for it; returns the target. */
    Path bound(Path source, String uid) throws Exception {
      Path target = Files.createDirectories(driver.target(uid, "v"));
      bind(source, target);
      return target;
    }

    @Override
    public void close() {
      MOUNTER.unmount(dir);
    }
  }

  static Status publish(Path target, String uid) {
    return csi.publish(Requests.publish(target, "ns", "pod-" + uid, uid, "spc").build());
  }

  /** Item 3: a bind mount of a same-filesystem directory at the target is refused, then detached, never emptied. */
  @Test
  void aBindMountAtTheTargetIsNeitherFilledNorEmptied() throws Exception {
    Path foreign = Files.createDirectories(driver.root.resolve("foreign-dir"));
    Files.writeString(foreign.resolve("foo"), "theirs");
    Path target = Files.createDirectories(driver.target("uid-bind", "v"));
    bind(foreign, target);
    int calls = provider.requests.size();

    Status status = publish(target, "uid-bind");

    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains("did not make"), status.getDescription());
    assertEquals(calls, provider.requests.size(), "the provider was not called");
    assertEquals("theirs", Files.readString(foreign.resolve("foo")), "nothing written into the foreign mount");
    assertEquals(List.of("foo"), names(foreign));

    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    assertEquals("theirs", Files.readString(foreign.resolve("foo")), "unpublish emptied nothing");
    assertTrue(new MountTable().under(target).isEmpty(), "the foreign mount is detached from the target");
  }

  /** Item 3: a bind of a subdirectory of another tmpfs (root other than "/") is foreign too. */
  @Test
  void aBindOfATmpfsSubdirectoryIsForeign() throws Exception {
    try (ForeignTmpfs other = ForeignTmpfs.mount("other-tmpfs")) {
      Path sub = Files.createDirectories(other.dir().resolve("shared"));
      Files.writeString(sub.resolve("foo"), "theirs");
      Path target = other.bound(sub, "uid-sub");

      Status status = publish(target, "uid-sub");

      assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode(), status.toString());
      assertEquals("theirs", Files.readString(sub.resolve("foo")));
      assertEquals(List.of("foo"), names(sub));
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
      assertEquals("theirs", Files.readString(sub.resolve("foo")));
    }
  }

  /**
   * Issue 19 item 4: the root of another tmpfs bound at the target has our tmpfs's type, source and
   * root, but its device is mounted elsewhere too. A publish the provider would answer OK is refused
   * before the provider call and writes nothing into it; unpublish only detaches it.
   */
  @Test
  void aBindOfAnotherTmpfsRootIsNeitherFilledNorEmptied() throws Exception {
    try (ForeignTmpfs foreign = ForeignTmpfs.mount("other-tmpfs-root")) {
      Path other = foreign.dir();
      Path target = foreign.bound(other, "uid-tmpfs-root");
      int calls = provider.requests.size();

      Status status = publish(target, "uid-tmpfs-root");

      assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode(), status.toString());
      assertTrue(status.getDescription().contains("also mounted at"), status.getDescription());
      assertEquals(calls, provider.requests.size(), "refused before the provider call");
      assertEquals(List.of("precious"), names(other), "no secret written into the foreign tmpfs");

      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
      assertEquals("theirs", Files.readString(other.resolve("precious")), "unpublish emptied nothing");
      assertTrue(new MountTable().under(target).isEmpty(), "the foreign mount is detached from the target");
    }
  }

  /** Issue 19 item 4: a publish the provider refuses never deletes a bound foreign tmpfs's files. */
  @Test
  void aRefusedPublishNeverDeletesABoundTmpfsFiles() throws Exception {
    try (ForeignTmpfs foreign = ForeignTmpfs.mount("other-tmpfs-refused")) {
      Path other = foreign.dir();
      Path target = foreign.bound(other, REFUSED_UID);

      Status status = publish(target, REFUSED_UID);

      assertNotEquals(Status.Code.OK, status.getCode(), status.toString());
      assertEquals("theirs", Files.readString(other.resolve("precious")), "the foreign files are kept");
      assertEquals(List.of("precious"), names(other));
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
      assertEquals(List.of("precious"), names(other));
    }
  }

  /**
   * Issue 19 item 4: another tmpfs laid over our volume whose original mount is gone shows its
   * device only once, at the target; the driver recorded the device it mounted there, so a refresh
   * writes nothing into it and unpublish only detaches.
   */
  @Test
  void aTmpfsLaidOverOurVolumeIsNotOurs() throws Exception {
    Path target = driver.target("uid-laid-over", "v");
    assertEquals(Status.Code.OK, publish(target, "uid-laid-over").getCode());
    Path other = Files.createDirectories(driver.root.resolve("laid-over"));
    MOUNTER.mountTmpfs(other, 0);
    Files.writeString(other.resolve("precious"), "theirs");
    bind(other, target);
    MOUNTER.unmount(other); // its only mount is now the one at the target
    version.incrementAndGet();
    int calls = provider.requests.size();

    assertEquals(Status.Code.OK, publish(target, "uid-laid-over").getCode(), "a failed refresh answers OK");

    assertEquals(List.of("precious"), names(target), "nothing written into the tmpfs laid over the volume");
    assertEquals(calls, provider.requests.size(), "refused before the provider call");
    assertTrue(view(target).lastError().contains("did not make"), view(target).toString());
    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    assertTrue(new MountTable().under(target).isEmpty(), "both mounts are detached from the target");
  }

  /**
   * Item 4: unpublish of a volume with a mount nested inside is refused before anything is deleted;
   * the volume keeps its content, {@code /volumes} shows the error, a republish still serves the content.
   */
  @Test
  void unpublishRefusesANestedMountBeforeDeletingAnything() throws Exception {
    Path target = driver.target("uid-nested", "v");
    assertEquals(Status.Code.OK, publish(target, "uid-nested").getCode());
    Path nested = Files.createDirectory(target.resolve("zz-nested"));
    MOUNTER.mountTmpfs(nested, 0);
    Files.writeString(nested.resolve("precious"), "kept");

    Status refused = csi.unpublish("v", target);

    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getCode(), refused.toString());
    assertTrue(refused.getDescription().contains("nested"), refused.getDescription());
    assertTrue(Files.isSymbolicLink(target.resolve("..data")), "..data kept");
    assertTrue(Files.readString(target.resolve("foo")).startsWith("secret-v"), "the content is kept");
    assertEquals("kept", Files.readString(nested.resolve("precious")));
    VolumeView view = view(target);
    assertEquals("mounted", view.state());
    assertTrue(view.lastError().contains("nested"), view.toString());

    MOUNTER.unmount(nested);
    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
  }

  /**
   * Item 4: a refresh of a volume with a mount nested at one of the payload's names rewrites nothing
   * and does not empty the nested mount; the old content stays and the error is shown.
   */
  @Test
  void aRefreshNeverEmptiesAMountNestedInside() throws Exception {
    Path target = driver.target("uid-refresh", "v");
    assertEquals(Status.Code.OK, publish(target, "uid-refresh").getCode());
    String before = Files.readString(target.resolve("..data/foo"));
    Files.delete(target.resolve("foo")); // our link to ..data/foo, replaced by a mount point
    Path nested = Files.createDirectory(target.resolve("foo"));
    MOUNTER.mountTmpfs(nested, 0);
    Files.writeString(nested.resolve("precious"), "kept");
    version.incrementAndGet();
    int calls = provider.requests.size();
    try {
      assertEquals(Status.Code.OK, publish(target, "uid-refresh").getCode(), "a failed refresh answers OK");

      assertEquals("kept", Files.readString(nested.resolve("precious")), "the nested mount is not emptied");
      assertEquals(before, Files.readString(target.resolve("..data/foo")), "the old content stays");
      assertEquals(calls, provider.requests.size(), "refused before the provider call");
      assertTrue(view(target).lastError().contains("nested"), view(target).toString());
    } finally {
      MOUNTER.unmount(nested);
    }
    assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
  }

  /** Item 5: a symlinked parent directory would put the tmpfs outside the pods directory: refused. */
  @Test
  void aTargetBehindASymlinkedParentIsRefused() throws Exception {
    Path outside = Files.createDirectories(driver.root.resolve("outside-pods"));
    Path target = driver.target("uid-link", "v");
    Files.createDirectories(target.getParent().getParent());
    Files.createSymbolicLink(target.getParent(), outside);
    int calls = provider.requests.size();

    Status status = publish(target, "uid-link");

    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains("symbolic link"), status.getDescription());
    assertEquals(calls, provider.requests.size());
    assertTrue(new MountTable().under(outside).isEmpty(), "nothing mounted outside the pods directory");
    assertEquals(List.of(), names(outside), "not even the target directory was created there");
  }

  static VolumeView view(Path target) {
    return driver.volumeViews().stream().filter(v -> v.targetPath().equals(target.toString())).findFirst()
        .orElseThrow(() -> new AssertionError("no volume actor for " + target));
  }

  static List<String> names(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static void bind(Path source, Path target) throws Exception {
    Process p = new ProcessBuilder("mount", "--bind", source.toString(), target.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
  }
}
