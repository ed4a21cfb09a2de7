package io.sscsi.fileprovider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sscsi.grpc.UnixChannels;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.File;
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.provider.v1alpha1.VersionResponse;
import io.sscsi.testkit.LogCapture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** The file provider on a real unix socket, called as the driver calls it (Version, Mount with upstream-shaped attributes). */
class FileProviderTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  @TempDir Path dir;
  FileProvider provider;
  ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Files.writeString(root.resolve("foo"), "s3cr3t-foo");
    Files.createDirectories(root.resolve("db"));
    Files.writeString(root.resolve("db/pass"), "s3cr3t-pass");
    provider = FileProvider.serve(root, dir.resolve("sock/file.sock"));
    channel = UnixChannels.open(provider.socket(), 4 * 1024 * 1024);
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    provider.close();
    assertFalse(Files.exists(dir.resolve("sock/file.sock")), "socket file removed on close");
  }

  MountResponse mount(Map<String, String> parameters) {
    Map<String, String> attributes = new TreeMap<>(parameters);
    attributes.put("csi.storage.k8s.io/pod.name", "web-1");
    attributes.put("csi.storage.k8s.io/pod.namespace", "team-a");
    attributes.put("csi.storage.k8s.io/serviceAccount.tokens", "{\"aud\":{\"token\":\"tok3n\"}}");
    MountRequest request = MountRequest.newBuilder().setAttributes(JSON.writeValueAsString(attributes))
        .setSecrets("null").setPermission("420").setTargetPath("/var/lib/kubelet/pods/x/mount").build();
    return ClientCalls.blockingUnaryCall(channel, ProviderMethods.MOUNT,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
  }

  @Test
  void versionNamesTheProvider() {
    VersionResponse v = ClientCalls.blockingUnaryCall(channel, ProviderMethods.VERSION, CallOptions.DEFAULT,
        VersionRequest.newBuilder().setVersion("v1alpha1").build());
    assertEquals("v1alpha1", v.getVersion());
    assertEquals("sscsi-file-provider", v.getRuntimeName());
  }

  @Test
  void mountServesEveryObjectWithModeAndContentHashVersions() {
    try (LogCapture logs = LogCapture.open()) {
      MountResponse r = mount(Map.of("objects",
          "array:\n  - |\n    objectName: foo\n  - |\n    objectName: db/pass\n    objectAlias: password\n"));

      assertEquals(2, r.getFilesCount());
      File foo = r.getFiles(0);
      assertEquals("foo", foo.getPath());
      assertEquals(0644, foo.getMode());
      assertEquals("s3cr3t-foo", foo.getContents().toString(StandardCharsets.UTF_8));
      assertEquals("password", r.getFiles(1).getPath());
      assertEquals("s3cr3t-pass", r.getFiles(1).getContents().toString(StandardCharsets.UTF_8));
      assertEquals(ObjectVersion.newBuilder().setId("file/foo")
          .setVersion(ObjectFiles.version("s3cr3t-foo".getBytes(StandardCharsets.UTF_8))).build(), r.getObjectVersion(0));
      assertEquals("file/db/pass", r.getObjectVersion(1).getId());
      assertFalse(r.hasError());

      assertTrue(logs.all().contains("Mount for pod team-a/web-1: served 2 object(s) [file/foo, file/db/pass]"), logs.all());
      assertFalse(logs.all().contains("s3cr3t"), "no content in logs");
      assertFalse(logs.all().contains("tok3n"), "no token in logs");
    }
  }

  @Test
  void oneBadObjectFailsTheWholeCallNamingIt() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> mount(Map.of("objects", "- objectName: foo\n- objectName: nope\n")));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("object nope not found"), e.getStatus().getDescription());
  }

  @Test
  void twoObjectsOnOnePathAreRefused() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> mount(Map.of("objects", "- objectName: foo\n- objectName: db/pass\n  objectAlias: foo\n")));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("objects foo and db/pass would both be written to foo (set objectAlias)", e.getStatus().getDescription());
  }

  @Test
  void missingObjectsParameterAndBadAttributesAreInvalidArgument() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> mount(Map.of("other", "x")));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("parameter objects is empty"));

    StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, ProviderMethods.MOUNT, CallOptions.DEFAULT, MountRequest.newBuilder().setAttributes("[1]").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
  }
}
