package io.sscsi.bench;

import com.google.protobuf.ByteString;
import io.sscsi.grpc.ServiceBinder;
import io.sscsi.grpc.UnixSocketServer;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.File;
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.provider.v1alpha1.VersionResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark provider (not a test): a v1alpha1 provider answering Mount at once, on the gRPC
 * transport thread, with a response built once at startup (N files of B bytes each, mode 0644,
 * version v1), so the driver is measured with a provider that costs nothing. One socket per
 * {@code name:files:bytes} argument, {@code DIR/<name>.sock}; all in this one process.
 *
 * <p>Counting without a side channel: a Version call whose {@code version} field is {@code reset}
 * clears the counters, {@code stats} answers them as JSON in {@code runtime_version}
 * ({@code {"calls":N,"volumes":D,"maxPerVolume":M}}, a volume being one distinct attributes string,
 * which holds the pod uid). The driver's own Version calls get the ordinary answer.
 *
 * <p>{@code java -cp target/test-classes:target/classes:$(cat target/cp.txt) io.sscsi.bench.ZeroProvider DIR zero2:2:32 zero20:20:4096}
 */
public final class ZeroProvider {
  private static final AtomicLong CALLS = new AtomicLong();
  private static final Map<String, AtomicLong> PER_VOLUME = new ConcurrentHashMap<>();

  private ZeroProvider() {}

  static MountResponse response(int files, int bytes) {
    byte[] content = new byte[bytes];
    Arrays.fill(content, (byte) 'x');
    MountResponse.Builder b = MountResponse.newBuilder();
    for (int i = 0; i < files; i++) {
      String name = String.format("secret-%02d", i);
      b.addFiles(File.newBuilder().setPath(name).setMode(0644).setContents(ByteString.copyFrom(content)));
      b.addObjectVersion(ObjectVersion.newBuilder().setId("zero/" + name).setVersion("v1"));
    }
    return b.build();
  }

  static VersionResponse version(VersionRequest in) {
    String runtimeVersion = "0";
    if (in.getVersion().equals("reset")) {
      CALLS.set(0);
      PER_VOLUME.clear();
    } else if (in.getVersion().equals("stats")) {
      long max = PER_VOLUME.values().stream().mapToLong(AtomicLong::get).max().orElse(0);
      runtimeVersion = "{\"calls\":" + CALLS.get() + ",\"volumes\":" + PER_VOLUME.size() + ",\"maxPerVolume\":" + max + "}";
    }
    return VersionResponse.newBuilder().setVersion("v1alpha1").setRuntimeName("zero-provider")
        .setRuntimeVersion(runtimeVersion).build();
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    List<UnixSocketServer> servers = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String[] spec = args[i].split(":");
      MountResponse fixed = response(Integer.parseInt(spec[1]), Integer.parseInt(spec[2]));
      servers.add(UnixSocketServer.start(dir.resolve(spec[0] + ".sock"), List.of(ServiceBinder.service(ProviderMethods.SERVICE)
          .unary(ProviderMethods.VERSION, (VersionRequest in) -> CompletableFuture.completedFuture(version(in)))
          .unary(ProviderMethods.MOUNT, (MountRequest in) -> {
            CALLS.incrementAndGet();
            PER_VOLUME.computeIfAbsent(in.getAttributes(), k -> new AtomicLong()).incrementAndGet();
            return CompletableFuture.completedFuture(fixed);
          })
          .build()), Runnable::run, 16 * 1024 * 1024));
    }
    System.out.println("zero provider serving " + (args.length - 1) + " socket(s) in " + dir);
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      servers.forEach(UnixSocketServer::close);
      stop.countDown();
    }));
    stop.await();
  }
}
