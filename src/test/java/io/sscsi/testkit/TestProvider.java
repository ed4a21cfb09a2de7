package io.sscsi.testkit;

import io.sscsi.grpc.ServiceBinder;
import io.sscsi.grpc.UnixSocketServer;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.*;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real v1alpha1 provider for tests: a gRPC server on its own unix socket implementing the
 * pekko-grpc generated {@link CSIDriverProvider} interface. What Mount answers is set per test with
 * {@link #answer}; every request received is recorded.
 */
public final class TestProvider implements CSIDriverProvider, AutoCloseable {
  private final UnixSocketServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private volatile Function<MountRequest, CompletionStage<MountResponse>> answer;
  public final List<MountRequest> requests = new CopyOnWriteArrayList<>();
  public final AtomicInteger inFlight = new AtomicInteger();
  public final AtomicInteger maxInFlight = new AtomicInteger();

  private TestProvider(Path socket) throws IOException {
    answer = request -> CompletableFuture.completedFuture(files(Map.of("foo", "secret-value")));
    server = UnixSocketServer.start(socket, List.of(ServiceBinder.service(ProviderMethods.SERVICE)
        .unary(ProviderMethods.VERSION, this::version)
        .unary(ProviderMethods.MOUNT, this::mount)
        .build()), executor, 64 * 1024 * 1024);
  }

  /** Starts a provider serving {@code <dir>/<name>.sock}. */
  public static TestProvider start(Path dir, String name) throws IOException {
    return new TestProvider(dir.resolve(name + ".sock"));
  }

  public TestProvider answer(Function<MountRequest, CompletionStage<MountResponse>> answer) {
    this.answer = answer;
    return this;
  }

  public TestProvider answerNow(MountResponse response) {
    return answer(request -> CompletableFuture.completedFuture(response));
  }

  /** Files with mode 0644 and version v1 per file. */
  public static MountResponse files(Map<String, String> contents) {
    MountResponse.Builder b = MountResponse.newBuilder();
    contents.forEach((path, value) -> {
      b.addFiles(File.newBuilder().setPath(path).setMode(0644).setContents(ByteString.copyFrom(value, StandardCharsets.UTF_8)));
      b.addObjectVersion(ObjectVersion.newBuilder().setId("secret/" + path).setVersion("v1"));
    });
    return b.build();
  }

  public static MountResponse file(String path, int mode, String contents) {
    return MountResponse.newBuilder()
        .addFiles(File.newBuilder().setPath(path).setMode(mode).setContents(ByteString.copyFromUtf8(contents)))
        .addObjectVersion(ObjectVersion.newBuilder().setId("secret/x").setVersion("v1"))
        .build();
  }

  @Override
  public CompletionStage<VersionResponse> version(VersionRequest in) {
    return CompletableFuture.completedFuture(VersionResponse.newBuilder()
        .setVersion("v1alpha1").setRuntimeName("test-provider").setRuntimeVersion("0.0.1").build());
  }

  @Override
  public CompletionStage<MountResponse> mount(MountRequest in) {
    requests.add(in);
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable done = () -> {
      if (finished.compareAndSet(false, true)) {
        inFlight.decrementAndGet();
      }
    };
    io.grpc.Context.current().addListener(ctx -> done.run(), Runnable::run); // cancelled by the caller
    return answer.apply(in).whenComplete((r, e) -> done.run());
  }

  @Override
  public void close() {
    server.close();
    executor.shutdownNow();
  }
}
