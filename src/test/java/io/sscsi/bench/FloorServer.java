package io.sscsi.bench;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.csi.v1.GetPluginInfoResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * The JVM's floor for the driver's start (issue 22), a {@code main} on its own: a grpc-java server on
 * an epoll unix socket (grpc-netty-shaded, the driver's transport, and nothing else but the CSI
 * messages) that answers GetPluginInfo only. It publishes its socket as the driver does: bound at a
 * hidden name, one call to itself there, then renamed into place. {@code bench/floor-runtime.sh} runs
 * it with the driver's runtime and JVM flags (and an AOT cache of its own); {@link PodBench} measures
 * it beside the driver, in the same cgroup limits. Usage: {@code FloorServer SOCKET [--exit]}
 * ({@code --exit}: stop after publishing, for the AOT training run).
 */
public final class FloorServer {
  static final MethodDescriptor<GetPluginInfoRequest, GetPluginInfoResponse> GET_PLUGIN_INFO =
      MethodDescriptor.<GetPluginInfoRequest, GetPluginInfoResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("csi.v1.Identity/GetPluginInfo")
          .setRequestMarshaller(ProtoUtils.marshaller(GetPluginInfoRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(GetPluginInfoResponse.getDefaultInstance()))
          .build();

  private FloorServer() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    Path staging = socket.resolveSibling("." + socket.getFileName() + ".starting");
    Files.deleteIfExists(staging);
    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    GetPluginInfoResponse info =
        GetPluginInfoResponse.newBuilder().setName("secrets-store.csi.k8s.io").setVendorVersion("floor").build();
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(staging.toString()))
        .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
        .directExecutor()
        .addService(ServerServiceDefinition.builder("csi.v1.Identity")
            .addMethod(GET_PLUGIN_INFO, ServerCalls.asyncUnaryCall((request, out) -> {
              out.onNext(info);
              out.onCompleted();
            }))
            .build())
        .build().start();
    ManagedChannel self = NettyChannelBuilder.forAddress(new DomainSocketAddress(staging.toString()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).directExecutor().usePlaintext().build();
    ClientCalls.blockingUnaryCall(self, GET_PLUGIN_INFO, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS),
        GetPluginInfoRequest.getDefaultInstance());
    self.shutdownNow();
    Files.move(staging, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    if (args.length > 1 && args[1].equals("--exit")) {
      server.shutdownNow();
      Files.deleteIfExists(socket);
      System.exit(0);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      try {
        Files.deleteIfExists(socket);
      } catch (java.io.IOException ignored) {
        // a benchmark's temporary directory
      }
    }));
    server.awaitTermination();
  }
}
