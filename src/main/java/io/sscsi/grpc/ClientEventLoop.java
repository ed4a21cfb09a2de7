package io.sscsi.grpc;

import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The one Netty event loop the driver's unix-socket gRPC clients (the provider channels) run on.
 * grpc-java's default client group has two threads per CPU and schedules each call's deadline timer
 * on the group's next loop, so a call woke a second loop only to arm (and later drop) a timer; on this
 * loop the connection's reads and writes and the calls' deadline timers share one thread, which a call
 * wakes once. A client's callbacks never block (they complete a future and tell an actor), and many
 * channels on one loop is what the default group does too. Started on first use, a daemon thread.
 */
public final class ClientEventLoop {
  private ClientEventLoop() {}

  private static final class Holder {
    static final EpollEventLoopGroup LOOP = new EpollEventLoopGroup(1, new DefaultThreadFactory("sscsi-grpc-client", true));
  }

  /** Puts {@code builder}'s unix-socket channel on the shared loop (a builder of another transport is left as is). */
  public static ManagedChannelBuilder<?> onSharedLoop(ManagedChannelBuilder<?> builder) {
    if (builder instanceof NettyChannelBuilder netty) {
      netty.eventLoopGroup(Holder.LOOP).channelType(EpollDomainSocketChannel.class, DomainSocketAddress.class);
    }
    return builder;
  }
}
