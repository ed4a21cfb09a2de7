package io.sscsi;

import io.sscsi.admin.AdminRoutes;
import io.sscsi.admin.HostPort;
import io.sscsi.admin.HttpServers;
import io.sscsi.admin.Readiness;
import io.sscsi.config.DriverSettings;
import io.sscsi.metrics.DriverMetrics;
import java.net.InetSocketAddress;
import java.util.Optional;
import io.sscsi.fs.AtomicWriter;
import io.sscsi.fs.Mounter;
import io.sscsi.provider.ProviderHealth;
import io.sscsi.provider.ProviderPools;
import io.sscsi.provider.ProviderRegistry;
import io.sscsi.status.PodStatusStore;
import io.sscsi.spc.ProviderClassSource;
import io.sscsi.spc.ClassChanges;
import io.sscsi.pods.NodePublishSecrets;
import io.sscsi.pods.PodEvents;
import io.sscsi.sync.SecretSync;
import io.sscsi.sync.ActorSecretSync;
import io.sscsi.sync.SecretSyncActor;
import io.sscsi.sync.SecretSyncApi;
import io.sscsi.volume.RecoveryProgress;
import io.sscsi.volume.VolumeDeps;
import io.sscsi.volume.VolumeRouter;
import io.sscsi.volume.VolumeTime;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The root actor of the driver's core. Owns the actor tree (the {@link ProviderRegistry}, the
 * {@link SecretSyncActor} in cluster mode, and the {@link VolumeRouter}) and starts the metrics and
 * admin endpoints; if one cannot be bound the system terminates. The CSI socket is not its:
 * {@link DriverProcess} serves it before this actor exists and hands the router to the Node service
 * once {@code started} completes. Nobody sends it messages; its children answer kubelet.
 */
public final class Guardian {
  public static final String BLOCKING_DISPATCHER = "sscsi.blocking-io-dispatcher";
  /** The volume router, volume actors, provider pools and clients: one thread (see sscsi.conf). */
  public static final String CORE_DISPATCHER = "sscsi.core-dispatcher";

  private Guardian() {}

  /**
   * Outside parts the guardian wires in (fabric8-backed in a cluster, files in local mode).
   *
   * @param secretSync the API server that {@code spec.secretObjects} are synced to; empty = no Secret sync
   */
  public record Edges(ProviderClassSource classes, PodStatusStore statuses, Mounter mounter,
      Optional<SecretSyncApi> secretSync, ClassChanges classChanges, Readiness readiness,
      PodEvents events, NodePublishSecrets publishSecrets) {
    /** Without Secret sync, watches, pod events and readiness checks of their own (local mode). */
    public Edges(ProviderClassSource classes, PodStatusStore statuses, Mounter mounter) {
      this(classes, statuses, mounter, Optional.empty(), ClassChanges.NONE, new Readiness(), PodEvents.NONE,
          NodePublishSecrets.NONE);
    }
  }

  /**
   * Started children and listening addresses (null when switched off), for tests and the process
   * entry point.
   */
  public record Started(ActorRef<VolumeRouter.Command> router, InetSocketAddress admin, InetSocketAddress metrics) {}

  private static CompletableFuture<InetSocketAddress> bindIfSet(
      org.apache.pekko.actor.typed.ActorSystem<?> system, String name, HostPort at,
      org.apache.pekko.http.javadsl.server.Route route) {
    return at == null ? CompletableFuture.completedFuture(null)
        : HttpServers.bind(system, name, at, route).toCompletableFuture();
  }

  /** Binds the admin and metrics endpoints (those set), then completes {@code started}, or terminates the system. */
  private static void bindEndpoints(org.apache.pekko.actor.typed.ActorSystem<Void> system, DriverSettings settings,
      AdminRoutes routes, ActorRef<VolumeRouter.Command> router, CompletableFuture<Started> started) {
    CompletableFuture<InetSocketAddress> admin = bindIfSet(system, "admin", settings.adminAddress(), routes.admin());
    CompletableFuture<InetSocketAddress> metrics =
        bindIfSet(system, "metrics", settings.metricsAddress(), routes.metrics());
    admin.thenCombine(metrics, (a, m) -> new Started(router, a, m)).whenComplete((ok, failure) -> {
      if (failure != null) {
        String why = failure.getCause() != null ? failure.getCause().getMessage() : failure.getMessage();
        if (org.apache.pekko.actor.CoordinatedShutdown.get(system).getShutdownReason().isPresent()) {
          system.log().info("stopped while the core was starting ({})", why); // not a fault
        } else {
          system.log().error("{}", why);
        }
        started.completeExceptionally(failure);
        system.terminate();
      } else {
        system.log().info("core up: admin endpoint on {}, metrics on {}", ok.admin(), ok.metrics());
        started.complete(ok);
      }
    });
  }

  /** As {@link #create(DriverSettings, Edges, CompletableFuture, CompletionStage, CompletableFuture)}, the endpoints bound at once. */
  public static Behavior<Void> create(DriverSettings settings, Edges edges, CompletableFuture<Started> started) {
    return create(settings, edges, new CompletableFuture<>(), CompletableFuture.completedFuture(null), started);
  }

  /**
   * @param routerUp completed with the volume router as soon as it is spawned: volume calls may go to it
   * @param endpointsWanted when to bind the metrics and admin endpoints (e.g. after the first volume call)
   * @param started completed once the endpoints are bound (or failed: the system then terminates)
   */
  public static Behavior<Void> create(DriverSettings settings, Edges edges,
      CompletableFuture<ActorRef<VolumeRouter.Command>> routerUp, CompletionStage<Void> endpointsWanted,
      CompletableFuture<Started> started) {
    return Behaviors.setup(ctx -> {
      DispatcherSelector blockingSelector = DispatcherSelector.fromConfig(BLOCKING_DISPATCHER);
      Executor blocking = ctx.getSystem().dispatchers().lookup(blockingSelector);
      ProviderHealth providerHealth = new ProviderHealth();
      ActorRef<ProviderRegistry.Command> providers = ctx.spawn(
          ProviderRegistry.create(settings.providers(), providerHealth, Clock.systemUTC(),
              DispatcherSelector.fromConfig(CORE_DISPATCHER)), "provider-registry", blockingSelector);
      Optional<ActorRef<SecretSyncActor.Command>> syncActor = edges.secretSync().map(api -> ctx.spawn(
          SecretSyncActor.create(api.connection(), api.statuses(), api.owners(), blocking, settings.nodeId()), "secret-sync"));
      SecretSync secretSync = syncActor.<SecretSync>map(ActorSecretSync::new).orElse(SecretSync.DISABLED);
      VolumeDeps deps = new VolumeDeps(edges.classes(), edges.statuses(), edges.mounter(), new AtomicWriter(),
          new ProviderPools(providers, ctx.getSystem().scheduler(), Clock.systemUTC(), blocking,
              settings.providers().payloadPolicy()), blocking, settings.volumes(),
          secretSync, edges.events(), edges.publishSecrets(), VolumeTime.system());
      RecoveryProgress recovery = new RecoveryProgress();
      ActorRef<VolumeRouter.Command> router = ctx.spawn(VolumeRouter.create(deps, recovery), "volume-router",
          DispatcherSelector.fromConfig(CORE_DISPATCHER));
      edges.classChanges().subscribe((namespace, name) -> router.tell(new VolumeRouter.ClassChanged(namespace, name)));
      edges.publishSecrets().subscribe(
          (namespace, name) -> router.tell(new VolumeRouter.PublishSecretChanged(namespace, name)));
      DriverMetrics.init(ctx.getSystem().settings().config());
      routerUp.complete(router);
      Readiness readiness = edges.readiness().add("csi-socket",
          () -> java.nio.file.Files.exists(settings.socket()) ? Optional.empty() : Optional.of("socket file is gone"));
      readiness.add("restart-recovery", recovery::problem);
      if (settings.providers().healthCheckInterval() != null) {
        readiness.add("providers", providerHealth::problem);
      }
      org.apache.pekko.actor.typed.ActorSystem<Void> system = ctx.getSystem();
      endpointsWanted.thenRunAsync(() -> bindEndpoints(system, settings,
          new AdminRoutes(router, system.scheduler(), readiness, blocking, syncActor), router, started), blocking);
      return Behaviors.empty();
    });
  }
}
