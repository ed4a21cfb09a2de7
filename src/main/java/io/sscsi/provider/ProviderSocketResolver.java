package io.sscsi.provider;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * gRPC name resolution for one provider's channel: the address is found when the channel
 * connects, not per call. Each resolution searches the provider directories for {@code
 * <provider>.sock} (a stat per directory, on gRPC's offload executor); gRPC resolves when the
 * channel starts and again after a connection fails, so a provider whose socket moved to another
 * directory is found on the next connection. When no directory has the socket, the address is the
 * last directory's (where providers conventionally listen): connecting fails there, and calls made
 * with waitForReady wait for the provider to come back.
 */
final class ProviderSocketResolver extends NameResolver {
  static final String SCHEME = "sscsi-provider";

  private final ProviderName provider;
  private final List<Path> dirs;
  private final Executor offload;
  private final io.grpc.SynchronizationContext sync;
  private Listener2 listener;

  private ProviderSocketResolver(ProviderName provider, List<Path> dirs, Args args) {
    this.provider = provider;
    this.dirs = List.copyOf(dirs);
    this.offload = args.getOffloadExecutor() != null ? args.getOffloadExecutor() : Runnable::run;
    this.sync = args.getSynchronizationContext();
  }

  /** The channel target and the registry that resolves it, for {@code Grpc.newChannelBuilder}. */
  static String target(ProviderName provider) {
    return SCHEME + ":///" + provider.value();
  }

  static NameResolverRegistry registry(ProviderName provider, List<Path> dirs) {
    NameResolverRegistry registry = new NameResolverRegistry();
    registry.register(new Provider(provider, dirs));
    return registry;
  }

  @Override
  public String getServiceAuthority() {
    return "localhost";
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    resolve();
  }

  @Override
  public void refresh() {
    resolve();
  }

  private void resolve() {
    offload.execute(() -> {
      Path socket = ProviderSockets.find(provider, dirs)
          .orElse(dirs.get(dirs.size() - 1).resolve(provider.socketFileName()));
      ResolutionResult result = ResolutionResult.newBuilder()
          .setAddresses(List.of(new EquivalentAddressGroup(new DomainSocketAddress(socket.toString()))))
          .build();
      sync.execute(() -> listener.onResult2(result));
    });
  }

  @Override
  public void shutdown() {}

  private static final class Provider extends NameResolverProvider {
    private final ProviderName provider;
    private final List<Path> dirs;

    Provider(ProviderName provider, List<Path> dirs) {
      this.provider = provider;
      this.dirs = List.copyOf(dirs);
    }

    @Override
    public NameResolver newNameResolver(URI target, Args args) {
      return SCHEME.equals(target.getScheme()) ? new ProviderSocketResolver(provider, dirs, args) : null;
    }

    @Override
    public String getDefaultScheme() {
      return SCHEME;
    }

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
      return List.of(DomainSocketAddress.class);
    }
  }
}
