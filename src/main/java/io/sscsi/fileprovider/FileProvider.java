package io.sscsi.fileprovider;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sscsi.config.SscsiVersion;
import io.sscsi.fileprovider.ObjectsParameter.ObjectSpec;
import io.sscsi.grpc.ServiceBinder;
import io.sscsi.grpc.UnixSocketServer;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.CSIDriverProvider;
import io.sscsi.provider.v1alpha1.File;
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.provider.v1alpha1.VersionResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The bundled provider ({@code sscsi provider file}): a real {@code v1alpha1.CSIDriverProvider} on
 * its own unix socket that serves objects from files under a root directory. Mount reads the
 * {@code objects} attribute ({@link ObjectsParameter}), reads every file ({@link ObjectFiles}) and
 * answers one File per object (path = objectAlias or objectName, mode 0644) and one ObjectVersion
 * per object ({@code file/<objectName>}, content hash). All or nothing: one bad object fails the
 * call. File reads block, so calls run on a small thread pool, never on the transport's threads.
 * Logs name pods and objects, never content, tokens or secrets.
 */
public final class FileProvider implements CSIDriverProvider, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FileProvider.class);
  public static final String RUNTIME_NAME = "sscsi-file-provider";
  static final int MODE_0644 = 0644;
  private static final int THREADS = 4;
  private static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ObjectFiles files;
  private final ExecutorService executor;
  private final UnixSocketServer server;

  private FileProvider(ObjectFiles files, Path socket) throws IOException {
    this.files = files;
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "file-provider-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    try {
      this.server = UnixSocketServer.start(socket, List.of(ServiceBinder.service(ProviderMethods.SERVICE)
          .unary(ProviderMethods.VERSION, this::version)
          .unary(ProviderMethods.MOUNT, this::mount)
          .build()), executor, MAX_REQUEST_BYTES);
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      throw e;
    }
  }

  /** Serves the files under {@code root} on {@code socket} until {@link #close}. */
  public static FileProvider serve(Path root, Path socket) throws IOException {
    return new FileProvider(new ObjectFiles(root), socket);
  }

  public Path socket() {
    return server.socket();
  }

  public Path root() {
    return files.root();
  }

  @Override
  public CompletionStage<VersionResponse> version(VersionRequest in) {
    return CompletableFuture.completedFuture(VersionResponse.newBuilder()
        .setVersion("v1alpha1").setRuntimeName(RUNTIME_NAME).setRuntimeVersion(SscsiVersion.current()).build());
  }

  /** Runs on the server's thread pool (see the constructor), so blocking reads are fine here. */
  @Override
  public CompletionStage<MountResponse> mount(MountRequest in) {
    String pod = "?";
    try {
      Map<String, String> attributes = attributes(in.getAttributes());
      pod = attributes.getOrDefault("csi.storage.k8s.io/pod.namespace", "?") + "/"
          + attributes.getOrDefault("csi.storage.k8s.io/pod.name", "?");
      MountResponse response = answer(attributes);
      LOG.info("Mount for pod {}: served {} object(s) {}", pod, response.getFilesCount(),
          response.getObjectVersionList().stream().map(ObjectVersion::getId).toList());
      return CompletableFuture.completedFuture(response);
    } catch (StatusRuntimeException e) {
      LOG.info("Mount for pod {} refused with {}: {}", pod, e.getStatus().getCode(), e.getStatus().getDescription());
      return CompletableFuture.failedFuture(e);
    }
  }

  MountResponse answer(Map<String, String> attributes) {
    List<ObjectSpec> specs;
    try {
      specs = ObjectsParameter.parse(attributes.get("objects"));
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    MountResponse.Builder b = MountResponse.newBuilder();
    Map<String, String> pathOwner = new HashMap<>();
    for (ObjectSpec spec : specs) {
      String previous = pathOwner.putIfAbsent(spec.path(), spec.objectName());
      if (previous != null) {
        throw Status.INVALID_ARGUMENT.withDescription("objects " + previous + " and " + spec.objectName()
            + " would both be written to " + spec.path() + " (set objectAlias)").asRuntimeException();
      }
      ObjectFiles.Loaded loaded = files.read(spec);
      b.addFiles(File.newBuilder().setPath(spec.path()).setMode(MODE_0644)
          .setContents(ByteString.copyFrom(loaded.contents())));
      b.addObjectVersion(ObjectVersion.newBuilder().setId(spec.id()).setVersion(loaded.version()));
    }
    return b.build();
  }

  private static Map<String, String> attributes(String json) {
    try {
      Map<String, String> map = JSON.readValue(json, new TypeReference<Map<String, String>>() {});
      if (map == null) {
        throw Status.INVALID_ARGUMENT.withDescription("attributes are JSON null, not an object").asRuntimeException();
      }
      return map;
    } catch (JacksonException e) {
      throw Status.INVALID_ARGUMENT.withDescription("attributes are not a JSON object of strings").asRuntimeException();
    }
  }

  /** Stops serving, removes the socket file, stops the thread pool. */
  @Override
  public void close() {
    server.close();
    executor.shutdown();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
