package io.sscsi.provider;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.sscsi.grpc.UnixSocketServer;
import io.sscsi.provider.v1alpha1.Error;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.VersionResponse;
import io.sscsi.testkit.*;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hostile or broken provider, through the whole driver (real CSI socket, real provider sockets,
 * real tmpfs, the real {@code /metrics}): an answer that is not protobuf, huge error text, and a
 * flood of distinct error codes and rejected provider names. Each failure gets one bounded, honest
 * status; nothing is left mounted; {@code /metrics} stays bounded.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class HostileProviderTest {
  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;
  static UnixSocketServer garbage;
  static ExecutorService garbageThreads = Executors.newCachedThreadPool();
  static CsiClient csi;
  static Cluster cluster;
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** A field-1 length prefix of 127 followed by 3 bytes: a truncated message, not a MountResponse. */
  static final byte[] NOT_PROTOBUF = {0x0a, 0x7f, 'a', 'b', 'c'};

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client, Map.of("sscsi.driver.provider.call-timeout", "10s"));
    provider = driver.provider("hostile");
    garbage = garbageProvider(driver.providerDir.resolve("garbage.sock"));
    csi = driver.client();
    cluster = new Cluster(client);
    cluster.secretProviderClass("ns", "hostile", "hostile", Map.of("objects", "x"));
    cluster.secretProviderClass("ns", "garbage", "garbage", Map.of("objects", "x"));
  }

  @AfterAll
  static void stop() throws Exception {
    csi.close();
    provider.close();
    garbage.close();
    garbageThreads.shutdownNow();
    driver.close();
  }

  @AfterEach
  void nothingLeftMounted() {
    assertTrue(driver.mounts().isEmpty(), "no mount left after a failed publish");
  }

  /** A real gRPC server on a unix socket whose Mount answers bytes that are not valid protobuf. */
  static UnixSocketServer garbageProvider(Path socket) throws IOException {
    MethodDescriptor.Marshaller<byte[]> raw = new MethodDescriptor.Marshaller<>() {
      @Override public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    MethodDescriptor<byte[], byte[]> mount = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(ProviderMethods.MOUNT.getFullMethodName())
        .setRequestMarshaller(raw).setResponseMarshaller(raw).build();
    ServerServiceDefinition service = ServerServiceDefinition.builder(ProviderMethods.SERVICE)
        .addMethod(mount, ServerCalls.asyncUnaryCall((request, answer) -> {
          answer.onNext(NOT_PROTOBUF);
          answer.onCompleted();
        }))
        .addMethod(ProviderMethods.VERSION, ServerCalls.asyncUnaryCall((request, answer) -> {
          answer.onNext(VersionResponse.newBuilder().setVersion("v1alpha1").build());
          answer.onCompleted();
        }))
        .build();
    return UnixSocketServer.start(socket, List.of(service), garbageThreads, 4 * 1024 * 1024);
  }

  static Status publish(String spc, String uid) {
    return csi.publish(Requests.publish(driver.target(uid, "v"), "ns", "pod-" + uid, uid, spc).build());
  }

  static String scrape() {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + driver.started.metrics().getPort()
          + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The samples of {@code node_publish_error_total} for {@code provider}: error_type -> value. */
  static Map<String, Double> publishErrors(String metrics, String provider) {
    Pattern sample = Pattern.compile("^node_publish_error_total\\{(.*)\\} (\\S+)$", Pattern.MULTILINE);
    Map<String, Double> byType = new java.util.TreeMap<>();
    Matcher m = sample.matcher(metrics);
    while (m.find()) {
      if (m.group(1).contains("provider=\"" + provider + "\"")) {
        Matcher type = Pattern.compile("error_type=\"([^\"]*)\"").matcher(m.group(1));
        assertTrue(type.find(), m.group());
        byType.put(type.group(1), Double.parseDouble(m.group(2)));
      }
    }
    return byType;
  }

  /** Every provider value of {@code node_publish_error_total}. */
  static Set<String> publishErrorProviders(String metrics) {
    Matcher m = Pattern.compile("^node_publish_error_total\\{[^}]*provider=\"([^\"]*)\"", Pattern.MULTILINE)
        .matcher(metrics);
    Set<String> providers = new java.util.TreeSet<>();
    while (m.find()) {
      providers.add(m.group(1));
    }
    return providers;
  }

  /** Scrapes until {@code done} holds for the text; fails after 30 s. */
  static String scrapeUntil(java.util.function.Predicate<String> done, String what) {
    return Await.value(what, HostileProviderTest::scrape, done);
  }

  @Test
  void anAnswerThatIsNotProtobufIsInternalNotCancelled() {
    Status status = publish("garbage", "g1");
    assertEquals(Status.Code.INTERNAL, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains("provider garbage answered the Mount call with a response that is"
        + " not a valid MountResponse"), status.getDescription());
  }

  @Test
  void hugeProviderTextIsCutInTheStatusAndTheLog() {
    String huge = "x".repeat(100_000);
    try (LogCapture logs = LogCapture.open()) {
      provider.answerNow(MountResponse.newBuilder().setError(Error.newBuilder().setCode("E" + huge)).build());
      Status reported = publish("hostile", "h1");
      // a gRPC message travels in a trailer: 100 KB is past grpc-java's default 8 KiB metadata limit
      provider.answer(r -> CompletableFuture.failedFuture(
          Status.PERMISSION_DENIED.withDescription("M" + huge).asRuntimeException()));
      Status failed = publish("hostile", "h2");

      assertEquals(Status.Code.FAILED_PRECONDITION, reported.getCode());
      assertEquals(Status.Code.PERMISSION_DENIED, failed.getCode());
      Map<Status, Integer> cut = Map.of(reported, 100_001 - 1024, failed, 100_001 - 1024);
      cut.forEach((status, more) -> {
        String d = status.getDescription();
        assertTrue(d.length() < 1200, "bounded status: " + d.length() + " characters");
        assertTrue(d.endsWith("...[" + more + " more characters cut]"), d.substring(d.length() - 60));
      });
      assertFalse(logs.lines().isEmpty(), "the failures were logged");
      for (String line : logs.lines()) {
        assertFalse(line.contains("x".repeat(1025)), "a log line carries more than 1 KiB of provider text: "
            + line.length() + " characters");
      }
    }
  }

  /**
   * Issue 19 item 9: a 100 KB class name, namespace or pod name from kubelet (a pod author chose
   * them) is cut to 1 KiB, as provider text is, in the status kubelet gets and in every log line.
   */
  @Test
  void hugeKubeletTextIsCutInTheStatusAndTheLog() {
    String huge = "x".repeat(100_000);
    try (LogCapture logs = LogCapture.open()) {
      List<Status> answers = List.of(
          csi.publish(Requests.publish(driver.target("k1", "v"), "ns", "pod-k1", "k1", "c" + huge).build()),
          csi.publish(Requests.publish(driver.target("k2", "v"), "n" + huge, "pod-k2", "k2", "hostile").build()),
          csi.publish(Requests.publish(driver.target("k3", "v"), "ns", "p" + huge, "k3", "c" + huge).build()));

      for (Status status : answers) {
        assertNotEquals(Status.Code.OK, status.getCode());
        assertFalse(Set.of(Status.Code.UNKNOWN, Status.Code.INTERNAL).contains(status.getCode()), status.toString().substring(0, Math.min(300, status.toString().length())));
        assertFalse(status.getDescription().contains("x".repeat(1025)), "a status carries more than 1 KiB of "
            + "kubelet's text: " + status.getDescription().length() + " characters");
      }
      assertFalse(logs.lines().isEmpty(), "the failures were logged");
      for (String line : logs.lines()) {
        assertFalse(line.contains("x".repeat(1025)), "a log line carries more than 1 KiB of kubelet's text: "
            + line.substring(0, Math.min(300, line.length())));
      }
    }
  }

  @Test
  void threeHundredDistinctErrorCodesKeepMetricsBounded() throws Exception {
    cluster.secretProviderClass("ns", "codes", "codes", Map.of("objects", "x"));
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    try (TestProvider codes = driver.provider("codes").answer(r -> CompletableFuture.completedFuture(
        MountResponse.newBuilder().setError(Error.newBuilder().setCode("Code-" + n.incrementAndGet())).build()))) {
      assertEquals(Status.Code.FAILED_PRECONDITION, publish("codes", "c-first").getCode());
      String before = scrapeUntil(t -> publishErrors(t, "codes").values().stream().mapToDouble(d -> d).sum() >= 1,
          "the first error counted");
      for (int i = 0; i < 299; i++) {
        assertEquals(Status.Code.FAILED_PRECONDITION, publish("codes", "c" + i).getCode());
      }
      assertEquals(300, codes.requests.size());
      String after = scrapeUntil(t -> publishErrors(t, "codes").values().stream().mapToDouble(d -> d).sum() >= 300,
          "all 300 errors counted");
      Map<String, Double> byType = publishErrors(after, "codes");
      Set<String> providerCodes = byType.keySet().stream().filter(t -> t.startsWith("Code-")).collect(Collectors.toSet());
      assertTrue(providerCodes.size() <= 32, providerCodes.size() + " provider codes became label values");
      assertTrue(byType.getOrDefault("other", 0.0) >= 300 - 32, "the rest counted as other: " + byType);
      assertEquals(300.0, byType.entrySet().stream().filter(e -> e.getKey().startsWith("Code-") || e.getKey().equals("other"))
          .mapToDouble(Map.Entry::getValue).sum(), "every error counted");
      int growth = after.length() - before.length();
      assertTrue(growth < 8 * 1024, "/metrics grew by " + growth + " bytes for 300 distinct codes");
    }
  }

  @Test
  void rejectedProviderNamesKeepMetricsBounded() throws Exception {
    for (int i = 0; i < 50; i++) {
      cluster.secretProviderClass("ns", "absent-" + i, "absent-" + i, Map.of("objects", "x"));
      cluster.secretProviderClass("ns", "invalid-" + i, "../invalid\n" + i, Map.of("objects", "x"));
    }
    for (int i = 0; i < 50; i++) {
      assertEquals(Status.Code.FAILED_PRECONDITION, publish("absent-" + i, "a" + i).getCode());
      assertEquals(Status.Code.FAILED_PRECONDITION, publish("invalid-" + i, "i" + i).getCode());
    }
    String metrics = scrapeUntil(t -> publishErrors(t, "other").values().stream().mapToDouble(d -> d).sum() >= 68,
        "the names past the bound counted as other");
    Set<String> providers = publishErrorProviders(metrics);
    assertTrue(providers.stream().filter(p -> p.startsWith("absent-")).count() <= 32, providers.toString());
    assertTrue(providers.stream().noneMatch(p -> p.contains("invalid")), "a malformed name is never a label value");
  }
}
