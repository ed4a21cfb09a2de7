package io.sscsi.csi;

import static io.sscsi.csi.BadInputCorpusSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.csi.v1.NodePublishVolumeRequest;
import io.sscsi.csi.v1.VolumeCapability;
import io.sscsi.provider.v1alpha1.Error;
import io.sscsi.provider.v1alpha1.File;
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.testkit.*;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The bad-input corpus: two tables of hostile or broken input replayed against the real driver
 * (real CSI unix socket, real provider socket, real tmpfs, mock API server). One table breaks
 * kubelet's NodePublishVolume request, the other the provider's MountResponse. Each case asserts
 * the exact gRPC code, that the message names the offending thing (and never the content), that
 * the provider was called exactly as often as the case allows, that no mount remains, and that
 * nothing changed anywhere under the harness directory or in a directory outside it that several
 * cases aim at. The driver's largest accepted provider response is lowered to 64 KiB for the
 * oversized-payload case; every other response is far below that. The driver runs with the opt-in
 * {@code --strict-payload}, so modes outside 0..0777 and duplicate paths are refused here
 * (upstream's default keeps {@code mode & 0777} and the last duplicate: {@code ProviderPayloadTest}).
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class BadInputCorpusTest {
  static final int MAX_RECV = 65536;
  /** The content every provider file carries: no status message may ever quote it. */
  static final String CONTENT = "CORPUS-CONTENT-5d1e";
  static final String OUTSIDE_ORIGINAL = "outside-original";
  /** A directory beside the harness directory in /tmp that traversal and link cases aim at. */
  static final Path OUTSIDE = createOutside();
  static final JsonMapper JSON = JsonMapper.builder().build();

  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static CsiClient csi;
  static final AtomicInteger pods = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client, Map.of("sscsi.driver.max-call-recv-msg-size", MAX_RECV,
        "sscsi.driver.strict-payload", true));
    provider = driver.provider("corpus");
    csi = driver.client();
    new Cluster(client).secretProviderClass("ns", "spc", "corpus", Map.of("objects", "x"));
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
    } finally {
      deleteTree(OUTSIDE);
    }
  }

  private static Path createOutside() {
    try {
      Path dir = Files.createTempDirectory("sscsi-outside-");
      Files.writeString(dir.resolve("foo"), OUTSIDE_ORIGINAL);
      Files.createDirectory(dir.resolve("dir"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Something a case puts at the target before the call (kubelet has created its parent). */
  interface Setup {
    Setup NONE = target -> {};

    void apply(Path target) throws IOException;
  }

  // ---------------------------------------------------------------- CSI requests

  record CsiCase(UnaryOperator<NodePublishVolumeRequest.Builder> change, Setup setup, Status.Code code,
      List<String> fragments) {}

  static Arguments request(String name, UnaryOperator<NodePublishVolumeRequest.Builder> change, Status.Code code,
      String... fragments) {
    return Arguments.of(name, new CsiCase(change, Setup.NONE, code, List.of(fragments)));
  }

  static Arguments atTarget(String name, Setup setup, Status.Code code, String... fragments) {
    return Arguments.of(name, new CsiCase(b -> b, setup, code, List.of(fragments)));
  }

  static final Status.Code INVALID = Status.Code.INVALID_ARGUMENT;
  static final String POD_INFO_HINT = "set podInfoOnMount: true on the CSIDriver";

  static Map<String, String> manyKeys(int n) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      m.put("example.com/attribute-" + i, "value-" + i);
    }
    return m;
  }

  static Stream<Arguments> csiRequests() {
    String longPath = "/" + "p".repeat(4096);
    return Stream.of(
        request("no volume id", b -> b.clearVolumeId(), INVALID, "volume id missing"),
        request("whitespace-only volume id", b -> b.setVolumeId(" \t "), INVALID, "volume id missing"),
        request("no target path", b -> b.clearTargetPath(), INVALID, "target path missing"),
        request("whitespace-only target path", b -> b.setTargetPath("  \t"), INVALID, "target path missing"),
        request("no volume capability", b -> b.clearVolumeCapability(), INVALID, "volume capability missing"),
        request("block access", b -> b.setVolumeCapability(VolumeCapability.newBuilder()
            .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
            .setAccessMode(Requests.mountCapability().getAccessMode())), INVALID, "block access is not supported"),
        request("readonly false", b -> b.setReadonly(false), INVALID, "readonly is not true"),
        request("no volume context", b -> b.clearVolumeContext(), INVALID, "volume attributes missing"),
        request("no secretProviderClass", b -> b.removeVolumeContext(CsiRequests.CLASS_ATTRIBUTE), INVALID,
            "volume attribute secretProviderClass is not set", "set volumeAttributes.secretProviderClass"),
        request("empty secretProviderClass", b -> b.putVolumeContext(CsiRequests.CLASS_ATTRIBUTE, ""), INVALID,
            "volume attribute secretProviderClass is not set"),
        request("whitespace-only secretProviderClass", b -> b.putVolumeContext(CsiRequests.CLASS_ATTRIBUTE, " \t\n "),
            INVALID, "volume attribute secretProviderClass is not set"),
        request("no pod name", b -> b.removeVolumeContext(CsiRequests.POD_NAME), INVALID,
            "volume attribute csi.storage.k8s.io/pod.name is not set", POD_INFO_HINT),
        request("whitespace-only pod name", b -> b.putVolumeContext(CsiRequests.POD_NAME, "   "), INVALID,
            "volume attribute csi.storage.k8s.io/pod.name is not set"),
        request("no pod namespace", b -> b.removeVolumeContext(CsiRequests.POD_NAMESPACE), INVALID,
            "volume attribute csi.storage.k8s.io/pod.namespace is not set"),
        request("empty pod namespace", b -> b.putVolumeContext(CsiRequests.POD_NAMESPACE, ""), INVALID,
            "volume attribute csi.storage.k8s.io/pod.namespace is not set"),
        request("no pod uid", b -> b.removeVolumeContext(CsiRequests.POD_UID), INVALID,
            "volume attribute csi.storage.k8s.io/pod.uid is not set"),
        request("whitespace-only pod uid", b -> b.putVolumeContext(CsiRequests.POD_UID, "\t\r\n"), INVALID,
            "volume attribute csi.storage.k8s.io/pod.uid is not set"),
        request("relative target path", b -> b.setTargetPath("relative/mount"), INVALID,
            "target path relative/mount is not absolute"),
        request("target path '.'", b -> b.setTargetPath("."), INVALID, "target path . is not absolute"),
        request("target path with '..' inside", b -> b.setTargetPath(b.getTargetPath() + "/../../../../../../../"
            + OUTSIDE.getFileName()), INVALID, "contains a '..' element", OUTSIDE.getFileName().toString()),
        request("target path ending in '..'", b -> b.setTargetPath(b.getTargetPath() + "/.."), INVALID,
            "contains a '..' element"),
        request("target path '/..'", b -> b.setTargetPath("/.."), INVALID, "target path /.. contains a '..' element"),
        request("target path with NUL", b -> b.setTargetPath(b.getTargetPath() + "\0evil"), INVALID,
            "target path contains a NUL character"),
        request("target path of 4097 characters", b -> b.setTargetPath(longPath), INVALID,
            "target path longer than 4096 characters"),
        request("target path of 100,000 characters", b -> b.setTargetPath("/" + "q/".repeat(50_000)), INVALID,
            "target path longer than 4096 characters"),
        request("10,000 volume_context keys", b -> b.putAllVolumeContext(manyKeys(10_000)), INVALID,
            "volume attributes have 10006 keys, more than the 1024 allowed"),
        request("a 3 MiB volume_context value", b -> b.putVolumeContext("example.com/huge", "h".repeat(3 << 20)),
            INVALID, "volume attributes hold 314", "characters, more than the 262144 allowed"),
        request("a 5 MiB request (over the CSI server's 4 MiB)", b -> b.putVolumeContext("example.com/huge",
            "h".repeat(5 << 20)), Status.Code.RESOURCE_EXHAUSTED, "4194304"),
        atTarget("target path is a regular file", target -> Files.writeString(target, "kubelet's file"),
            Status.Code.FAILED_PRECONDITION, "is not a directory", "/mount\""),
        // Valid requests with odd secret keys: forwarded to the provider as JSON, byte for byte;
        // no file is ever named after a secret key.
        request("secret with an empty key", b -> b.putSecrets("", "v"), Status.Code.OK),
        request("secret keys with NUL, newline and quotes", b -> b.putSecrets("a\0b", "v1").putSecrets("line\nbreak", "v2")
            .putSecrets("q\"uote\\", "v3"), Status.Code.OK),
        request("secret keys that look like paths", b -> b.putSecrets("../../../../../../../" + OUTSIDE.getFileName()
            + "/foo", "v").putSecrets("/etc/passwd", "v").putSecrets("..data", "v"), Status.Code.OK),
        request("a secret key of 10,000 characters", b -> b.putSecrets("k".repeat(10_000), "v"), Status.Code.OK));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("csiRequests")
  void csiRequest(String name, CsiCase c) throws Exception {
    String uid = "csi-" + pods.incrementAndGet();
    Path target = driver.target(uid, "v");
    Files.createDirectories(target.getParent()); // kubelet creates the volume directory, not the target
    c.setup().apply(target);
    boolean targetExisted = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
    Map<String, String> before = snapshot(driver.root);
    Map<String, String> outsideBefore = snapshot(OUTSIDE);
    provider.requests.clear();
    provider.answerNow(TestProvider.files(Map.of("foo", CONTENT)));
    NodePublishVolumeRequest request = c.change().apply(Requests.publish(target, "ns", "pod-" + uid, uid, "spc")).build();

    Status status = csi.publish(request);

    assertEquals(c.code(), status.getCode(), name + ": " + status);
    if (c.code() == Status.Code.OK) {
      assertEquals(CONTENT, Files.readString(target.resolve("foo")));
      assertEquals(1, provider.requests.size());
      Map<?, ?> forwarded = JSON.readValue(provider.requests.get(0).getSecrets(), Map.class);
      assertEquals(request.getSecretsMap(), forwarded, "secrets reach the provider exactly");
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
    } else {
      assertMessage(status, c.fragments());
      assertEquals(0, provider.requests.size(), "the provider is never called for a bad request");
    }
    assertTrue(driver.mounts().isEmpty(), "no mount remains");
    assertEquals(targetExisted && c.code() != Status.Code.OK, Files.exists(target, LinkOption.NOFOLLOW_LINKS));
    assertEquals(before, snapshot(driver.root), "nothing changed under the harness directory");
    assertEquals(outsideBefore, snapshot(OUTSIDE), "nothing changed outside");
    assertNothingMounted(OUTSIDE);
  }

  // ---------------------------------------------------------------- provider responses

  record PayloadCase(Function<MountRequest, CompletionStage<MountResponse>> answer, Setup setup,
      Status.Code code, List<String> fragments) {}

  static Arguments payload(String name, MountResponse response, Status.Code code, String... fragments) {
    return Arguments.of(name, new PayloadCase(r -> CompletableFuture.completedFuture(response), Setup.NONE,
        code, List.of(fragments)));
  }

  /** One file {@code path} with {@code mode}: refused as INTERNAL, naming the path and the rule. */
  static Arguments badFile(String name, String path, int mode, String... fragments) {
    return payload(name, TestProvider.file(path, mode, CONTENT), Status.Code.INTERNAL,
        concat("provider corpus returned an invalid file ", fragments));
  }

  static Arguments badFile(String name, String path, String... fragments) {
    return badFile(name, path, 0644, fragments);
  }

  static String[] concat(String first, String... rest) {
    return Stream.concat(Stream.of(first), Stream.of(rest)).toArray(String[]::new);
  }

  static MountResponse files(String... paths) {
    MountResponse.Builder b = MountResponse.newBuilder();
    for (String p : paths) {
      b.addFiles(File.newBuilder().setPath(p).setMode(0644).setContents(ByteString.copyFromUtf8(CONTENT)));
    }
    return b.addObjectVersion(ObjectVersion.newBuilder().setId("secret/x").setVersion("v1")).build();
  }

  static Stream<Arguments> providerResponses() {
    String escape = "../../../../../../../" + OUTSIDE.getFileName() + "/foo";
    String element256 = "e".repeat(256);
    String path5000 = "d/".repeat(2499) + "ff";
    return Stream.of(
        badFile("../x", "../x", "\"../x\"", "'..' element"),
        badFile("a/../../x", "a/../../x", "\"a/../../x\"", "'..' element"),
        badFile("..", "..", "\"..\"", "'..' element"),
        badFile("a/..", "a/..", "\"a/..\"", "'..' element"),
        badFile("a/b/../c", "a/b/../c", "\"a/b/../c\"", "'..' element"),
        badFile("traversal into the outside directory", escape, "\"" + escape + "\"", "'..' element"),
        badFile("absolute path into the outside directory", OUTSIDE.resolve("foo").toString(),
            "\"" + OUTSIDE.resolve("foo") + "\"", "absolute"),
        badFile("absolute //x", "//x", "\"//x\"", "absolute"),
        badFile("..data", "..data", "\"..data\"", "reserved"),
        badFile("..data/foo", "..data/foo", "\"..data/foo\"", "reserved"),
        badFile("..data_tmp", "..data_tmp", "\"..data_tmp\"", "reserved"),
        badFile("timestamped directory name", "..2024_01_01_00_00_00.1/foo", "\"..2024_01_01_00_00_00.1/foo\"",
            "reserved"),
        badFile("...", "...", "\"...\"", "reserved"),
        badFile("a//b", "a//b", "\"a//b\"", "not clean"),
        badFile("./a", "./a", "\"./a\"", "not clean"),
        badFile("a/", "a/", "\"a/\"", "not clean"),
        badFile("a/./b", "a/./b", "\"a/./b\"", "not clean"),
        badFile(".", ".", "\".\"", "not clean"),
        badFile("empty path", "", "\"\"", "the path is empty"),
        badFile("NUL in path", "a\0b", "\"a\\x00b\"", "NUL character"),
        badFile("newline and NUL in path", "x\n\0", "\"x\\x0a\\x00\"", "NUL character"),
        badFile("256-character element", "dir/" + element256, "\"dir/" + "e".repeat(100), "255 bytes"),
        badFile("5000-character path", path5000, "\"d/d/d/", "...\"", "4096 bytes"),
        badFile("mode 04777 (setuid)", "setuid", 04777, "\"setuid\"", "mode 04777 is outside 0..0777"),
        badFile("mode 02755 (setgid)", "setgid", 02755, "\"setgid\"", "mode 02755 is outside 0..0777"),
        badFile("mode 01000 (sticky)", "sticky", 01000, "\"sticky\"", "mode 01000 is outside 0..0777"),
        badFile("mode -1", "negative", -1, "\"negative\"", "mode -1 is outside 0..0777"),
        badFile("mode 0x10000", "huge-mode", 0x10000, "\"huge-mode\"", "mode 0200000 is outside 0..0777"),
        payload("duplicate paths", files("foo", "foo"), Status.Code.INTERNAL,
            "invalid file \"foo\"", "more than once"),
        payload("file/directory conflict a + a/b", files("a", "a/b"), Status.Code.INTERNAL,
            "invalid file \"a\"", "also a directory of \"a/b\""),
        payload("file/directory conflict a/b + a/b/c", files("ok", "a/b/c", "a/b"), Status.Code.INTERNAL,
            "invalid file \"a/b\"", "also a directory of \"a/b/c\""),
        payload("good files then a bad one: none written", files("good", "also/good", "../bad"),
            Status.Code.INTERNAL, "invalid file \"../bad\""),
        payload("files but an empty object-version list", files("foo").toBuilder().clearObjectVersion().build(),
            Status.Code.INTERNAL, "provider corpus returned no object versions"),
        payload("provider error code set", MountResponse.newBuilder()
            .setError(Error.newBuilder().setCode("AuthFailed")).build(), Status.Code.FAILED_PRECONDITION,
            "provider corpus reported error code AuthFailed"),
        payload("provider error code set, with files", files("foo").toBuilder()
            .setError(Error.newBuilder().setCode("Throttled")).build(), Status.Code.FAILED_PRECONDITION,
            "reported error code Throttled"),
        payload("oversized payload (100 KB > 64 KiB)", TestProvider.file("big", 0644, CONTENT + "b".repeat(100_000)),
            Status.Code.RESOURCE_EXHAUSTED, "provider corpus failed the Mount call with RESOURCE_EXHAUSTED",
            String.valueOf(MAX_RECV), "raise --max-call-recv-msg-size"),
        Arguments.of("provider answers UNKNOWN", new PayloadCase(r -> CompletableFuture.failedFuture(
            Status.UNKNOWN.withDescription("provider blew up").asRuntimeException()), Setup.NONE,
            Status.Code.UNAVAILABLE, List.of("failed the Mount call with UNKNOWN: provider blew up"))),
        // A symlink planted at the target before the first publish points outside: the driver
        // mounts its tmpfs over the directory and writes there, never through the link.
        Arguments.of("symlink foo -> outside planted in the target", new PayloadCase(
            r -> CompletableFuture.completedFuture(TestProvider.files(Map.of("foo", CONTENT))),
            target -> {
              Files.createDirectory(target);
              Files.createSymbolicLink(target.resolve("foo"), OUTSIDE.resolve("foo"));
            }, Status.Code.OK, List.of())),
        Arguments.of("symlinks ..data and dir -> outside planted in the target", new PayloadCase(
            r -> CompletableFuture.completedFuture(TestProvider.files(Map.of("foo", CONTENT, "dir/bar", CONTENT))),
            target -> {
              Files.createDirectory(target);
              Files.createSymbolicLink(target.resolve("..data"), OUTSIDE);
              Files.createSymbolicLink(target.resolve("dir"), OUTSIDE.resolve("dir"));
            }, Status.Code.OK, List.of())));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("providerResponses")
  void providerResponse(String name, PayloadCase c) throws Exception {
    String uid = "prov-" + pods.incrementAndGet();
    Path target = driver.target(uid, "v");
    Files.createDirectories(target.getParent());
    c.setup().apply(target);
    boolean targetExisted = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
    Map<String, String> before = snapshot(driver.root, target);
    Map<String, String> targetBefore = targetExisted ? snapshot(target) : Map.of();
    Map<String, String> outsideBefore = snapshot(OUTSIDE);
    provider.requests.clear();
    provider.answer(c.answer());

    Status status = csi.publish(Requests.publish(target, "ns", "pod-" + uid, uid, "spc").build());

    assertEquals(c.code(), status.getCode(), name + ": " + status);
    assertEquals(1, provider.requests.size(), "exactly one provider call");
    if (c.code() == Status.Code.OK) {
      assertEquals(List.of(target), driver.mounts().stream().map(m -> m.mountPoint()).toList());
      assertEquals(CONTENT, Files.readString(target.resolve("foo")), "the target's foo is our file");
      assertEquals(Path.of("..data/foo"), Files.readSymbolicLink(target.resolve("foo")));
      assertEquals(outsideBefore, snapshot(OUTSIDE), "the outside directory is untouched by the publish");
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());
      assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS), "unpublish removed the target");
    } else {
      assertMessage(status, c.fragments());
      assertEquals(targetExisted, Files.exists(target, LinkOption.NOFOLLOW_LINKS));
      if (targetExisted) {
        assertEquals(targetBefore, snapshot(target), "a target that existed is left as it was");
      }
    }
    assertTrue(driver.mounts().isEmpty(), "no mount remains");
    assertEquals(before, snapshot(driver.root, target), "nothing changed under the harness directory");
    assertEquals(outsideBefore, snapshot(OUTSIDE), "nothing changed outside");
    assertEquals(OUTSIDE_ORIGINAL, Files.readString(OUTSIDE.resolve("foo")));
    assertNothingMounted(OUTSIDE);
  }

  @Test
  void aRejectedHugeRequestIsLoggedInBrief() throws Exception {
    String uid = "csi-log-" + pods.incrementAndGet();
    Path target = driver.target(uid, "v");
    Status status;
    List<String> logged;
    try (LogCapture logs = LogCapture.open()) {
      status = csi.publish(Requests.publish(target, "ns", "pod-" + uid, uid, "spc")
          .putVolumeContext("example.com/huge", "h".repeat(3 << 20)).build());
      logged = logs.lines().stream().filter(l -> l.contains("CSI NodePublishVolume failed")).toList();
    }
    assertEquals(INVALID, status.getCode());
    assertEquals(1, logged.size(), "the failed call is logged once");
    assertTrue(logged.get(0).contains("INVALID_ARGUMENT"), "the log line has the code");
    assertTrue(logged.get(0).length() < 10_000, "a 3 MiB request is logged in " + logged.get(0).length() + " chars");
  }

  private static void assertMessage(Status status, List<String> fragments) {
    String description = status.getDescription();
    assertNotNull(description, "a failure carries a message");
    for (String f : fragments) {
      assertTrue(description.contains(f), "message names \"" + f + "\": " + abbreviate(description));
    }
    assertFalse(description.contains(CONTENT), "the message never quotes content");
    assertTrue(description.length() < 2_000, "the message stays short: " + description.length() + " chars");
  }

  private static String abbreviate(String s) {
    return s.length() <= 600 ? s : s.substring(0, 600) + "...(" + s.length() + " chars)";
  }
}
