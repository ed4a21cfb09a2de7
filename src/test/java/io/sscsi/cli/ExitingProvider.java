package io.sscsi.cli;

import io.sscsi.grpc.ServiceBinder;
import io.sscsi.grpc.UnixSocketServer;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.VersionResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;

/**
 * A provider process that dies in the middle of a Mount call: it answers Version, and on Mount it
 * halts the JVM (exit code 3) without answering, as a crashing provider would. Run as its own
 * process: {@code java -cp ... io.sscsi.cli.ExitingProvider <socket>}.
 */
public final class ExitingProvider {
  private ExitingProvider() {}

  public static void main(String[] args) throws Exception {
    UnixSocketServer.start(Path.of(args[0]), List.of(ServiceBinder.service(ProviderMethods.SERVICE)
        .unary(ProviderMethods.VERSION, v -> CompletableFuture.completedFuture(VersionResponse.newBuilder()
            .setVersion("v1alpha1").setRuntimeName("exiting-provider").setRuntimeVersion("0").build()))
        .unary(ProviderMethods.MOUNT, ExitingProvider::die)
        .build()), Executors.newCachedThreadPool(), 4 * 1024 * 1024);
    Thread.currentThread().join();
  }

  private static CompletionStage<MountResponse> die(Object request) {
    Runtime.getRuntime().halt(3);
    return new CompletableFuture<>();
  }
}
