package io.sscsi.synccontroller;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.sscsi.Guardian;
import io.sscsi.admin.HostPort;
import io.sscsi.admin.HttpServers;
import io.sscsi.admin.Readiness;
import io.sscsi.config.LogFormat;
import io.sscsi.config.SscsiVersion;
import io.sscsi.k8s.KubeClientFactory;
import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubeReachability;
import io.sscsi.k8s.WatchLiveness;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.metrics.SyncControllerMetrics;
import io.sscsi.provider.ProviderHealth;
import io.sscsi.provider.ProviderPools;
import io.sscsi.provider.ProviderRegistry;
import io.sscsi.provider.ProviderSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sync controller's process: an actor system holding the driver's {@link ProviderRegistry} and
 * the {@link SecretSyncGroup}; the API client, the {@link SyncWatches} and the HTTP endpoints
 * ({@code /metrics}, {@code /healthz} and {@code /readyz}, {@code GET /secretsyncs}). With
 * {@code --leader-elect} the watches start only while this process holds the Lease
 * ({@code coordination.k8s.io}, fabric8's LeaderElector), so only the leader writes; a process that
 * loses the Lease exits (as controller-runtime's managers do) and its replacement starts as a follower.
 */
public final class SyncControllerProcess extends AllDirectives {
  private static final Logger LOG = LoggerFactory.getLogger(SyncControllerProcess.class);
  private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
  private static final Duration ASK = Duration.ofSeconds(2);
  /** Syncs running at once per provider: the provider pool's in-flight calls. */
  static final int MAX_CONCURRENT_SYNCS = 16;
  /** Where sync runs, restores and housekeeping block (4 × {@link #MAX_CONCURRENT_SYNCS} threads). */
  static final String SYNC_RUN_DISPATCHER = "sscsi.sync-run-dispatcher";

  private final ActorSystem<SecretSyncGroup.Command> system;

  SyncControllerProcess(ActorSystem<SecretSyncGroup.Command> system) {
    this.system = system;
  }

  /** Runs until the process is stopped; the exit code. */
  public static int run(SyncControllerFlags flags) {
    Config config = ConfigFactory.load();
    if (flags.verbosity != null) {
      LogFormat.apply(ConfigFactory.parseMap(Map.of("sscsi.driver.log-level", LogFormat.levelFor(flags.verbosity)))
          .withFallback(config));
    }
    if (flags.local() || flags.localProblem().isPresent()) {
      return LocalSyncController.run(flags, config);
    }
    String podName = Optional.ofNullable(System.getenv("SYNC_CONTROLLER_POD_NAME")).orElse("");
    String podUid = Optional.ofNullable(System.getenv("SYNC_CONTROLLER_POD_UID")).orElse("");
    KubeConnection kube = KubeClientFactory.create(KubeClientFactory.Settings.defaults(
        Optional.ofNullable(flags.kubeconfig).filter(s -> !s.isBlank()).map(Path::of), SscsiVersion.current()));
    KubernetesClient client = kube.client();
    ProviderSettings providers = new ProviderSettings(List.of(Path.of(flags.providerVolume)), MAX_CONCURRENT_SYNCS,
        256, Duration.ofMinutes(2), flags.maxCallRecvMsgSize);
    List<SyncWatches> watchesHolder = new ArrayList<>();
    KubeSyncApi api = new KubeSyncApi(client,
        key -> watchesHolder.isEmpty() ? Optional.empty() : watchesHolder.get(0).cachedClass(key));
    TokenCache tokens = new TokenCache(flags.audiences(), api, Clock.systemUTC());
    ActorSystem<SecretSyncGroup.Command> system = ActorSystem.create(
        group(api, tokens, providers, podName, podUid, flags.rotationPollInterval(),
            key -> watchesHolder.isEmpty() ? "" : watchesHolder.get(0).cachedClass(key).flatMap(c -> c)
                .map(c -> c.getSpec() == null || c.getSpec().provider() == null ? "" : c.getSpec().provider())
                .orElse("")),
        "sscsi-sync-controller", config);
    DriverMetrics.init(config);
    SyncControllerMetrics.init();
    SyncControllerMetrics.leader(!flags.leaderElect);
    SyncWatches watches = new SyncWatches(client, system);
    watchesHolder.add(watches);
    SyncControllerProcess process = new SyncControllerProcess(system);
    AtomicBoolean leading = new AtomicBoolean(!flags.leaderElect);
    // As the driver's /readyz: the watches' own state, and with --watch-stale-after a running watch
    // that has seen no event or bookmark for that long. A follower runs no watch and is ready.
    KubeReachability reachability = watches.reachability(new WatchLiveness(flags.watchStaleAfter, System::nanoTime));
    Readiness readiness = new Readiness().add("api-server",
        () -> leading.get() ? reachability.problem() : Optional.empty());
    try {
      bind(system, "metrics", flags.metricsBindAddress, "--metrics-bind-address", process.metrics());
      bind(system, "health", flags.healthProbeBindAddress, "--health-probe-bind-address", process.health(readiness));
      bind(system, "admin", flags.adminAddr, "--admin-addr", process.admin());
    } catch (RuntimeException e) {
      LOG.error("{}", e.getMessage());
      system.terminate();
      kube.close();
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      watches.close();
      system.terminate();
      kube.close();
    }, "sscsi-sync-controller-stop"));
    if (!flags.leaderElect) {
      LOG.info("sync controller started (no leader election), API server {}", kube.masterUrl());
      watches.start();
      system.getWhenTerminated().toCompletableFuture().join();
      return 0;
    }
    String namespace = flags.leaderElectionNamespace == null || flags.leaderElectionNamespace.isBlank()
        ? "default" : flags.leaderElectionNamespace;
    String identity = podName.isEmpty() ? ProcessHandle.current().pid() + "@" + hostname() : podName;
    CountDownLatch lost = new CountDownLatch(1);
    LOG.info("sync controller waiting for Lease {}/{} as {}", namespace, flags.leaderElectionId, identity);
    client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
        .withName(flags.leaderElectionId)
        .withLock(new LeaseLock(namespace, flags.leaderElectionId, identity))
        .withLeaseDuration(flags.leaseDuration)
        .withRenewDeadline(flags.renewDeadline)
        .withRetryPeriod(flags.retryPeriod)
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(
            () -> {
              LOG.info("leading: Lease {}/{} held by {}", namespace, flags.leaderElectionId, identity);
              leading.set(true);
              SyncControllerMetrics.leader(true);
              watches.start();
            },
            () -> {
              LOG.warn("lost Lease {}/{}: exiting", namespace, flags.leaderElectionId);
              lost.countDown();
            },
            newLeader -> LOG.info("Lease {}/{} leader: {}", namespace, flags.leaderElectionId, newLeader)))
        .build()).build().start();
    try {
      lost.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 1;
  }

  /**
   * The guardian of both modes: the provider registry and the {@link SecretSyncGroup}, whose syncs
   * talk to {@code api} (the API server, or local mode's files).
   */
  public static Behavior<SecretSyncGroup.Command> group(SyncApi api, TokenCache tokens, ProviderSettings providers,
      String podName, String podUid, Duration interval) {
    return group(api, tokens, providers, podName, podUid, interval, key -> "");
  }

  /**
   * The group as {@link #group(SyncApi, TokenCache, ProviderSettings, String, String, Duration)}, with sync slots
   * in one lane per provider: {@code providerOf} names the provider of a SecretSync's key ("" when unknown).
   */
  public static Behavior<SecretSyncGroup.Command> group(SyncApi api, TokenCache tokens, ProviderSettings providers,
      String podName, String podUid, Duration interval, Function<String, String> providerOf) {
    return Behaviors.setup(ctx -> {
      DispatcherSelector blocking = DispatcherSelector.fromConfig(Guardian.BLOCKING_DISPATCHER);
      Executor blockingExecutor = ctx.getSystem().dispatchers().lookup(blocking);
      var registry = ctx.spawn(ProviderRegistry.create(providers, new ProviderHealth(), Clock.systemUTC(),
          DispatcherSelector.defaultDispatcher()), "provider-registry", blocking);
      SyncRun run = new SyncRun(api, new ProviderPools(registry, ctx.getSystem().scheduler(), Clock.systemUTC(),
              blockingExecutor, providers.payloadPolicy()),
          tokens, podName, podUid, providers.callTimeout(), Clock.systemUTC());
      // Runs block until their provider answers, whose answer is checked on the blocking dispatcher:
      // they get their own pool (threads for four providers' slots at once), so they never starve those
      // checks, and one hung provider's runs leave threads for the others' lanes.
      Executor runs = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(SYNC_RUN_DISPATCHER));
      SyncDeps deps = new SyncDeps(run, api, runs,
          new SyncTiming(SyncTiming.defaultBackoff(), () -> ThreadLocalRandom.current().nextDouble()),
          interval, Clock.systemUTC(), providerOf);
      return SecretSyncGroup.create(deps, MAX_CONCURRENT_SYNCS);
    });
  }

  private static String hostname() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  static void bind(ActorSystem<?> system, String name, String address, String flag, Route route) {
    if (address == null || address.isBlank() || address.equals("0")) {
      return;
    }
    java.net.InetSocketAddress bound = HttpServers.bind(system, name, HostPort.parse(address, flag), route)
        .toCompletableFuture().join();
    LOG.info("serving {} on {}:{}", name, bound.getHostString(), bound.getPort());
  }

  Route metrics() {
    return path("metrics", () -> get(() ->
        complete(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, DriverMetrics.scrape()))));
  }

  Route health(Readiness readiness) {
    return concat(
        path("healthz", () -> get(() -> complete("ok\n"))),
        path("readyz", () -> get(() -> {
          Readiness.Report report = readiness.check();
          return complete(report.ready() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, report.text());
        })));
  }

  Route admin() {
    return path("secretsyncs", () -> get(() -> onSuccess(views(), all ->
        complete(StatusCodes.OK, HttpEntities.create(ContentTypes.APPLICATION_JSON, JSON.writeValueAsString(all))))));
  }

  /** Every SecretSync's view, by namespace/name; an actor that does not answer in time is left out. */
  CompletableFuture<List<SyncView>> views() {
    return AskPattern.<SecretSyncGroup.Command, List<ActorRef<SecretSyncActor.Command>>>ask(system,
            SecretSyncGroup.ListActors::new, ASK, system.scheduler()).toCompletableFuture()
        .thenCompose(refs -> {
          List<CompletableFuture<SyncView>> views = new ArrayList<>();
          for (ActorRef<SecretSyncActor.Command> ref : refs) {
            views.add(AskPattern.<SecretSyncActor.Command, SyncView>ask(ref, SecretSyncActor.Describe::new, ASK,
                system.scheduler()).toCompletableFuture().exceptionally(e -> null));
          }
          return CompletableFuture.allOf(views.toArray(CompletableFuture[]::new)).thenApply(done -> views.stream()
              .map(CompletableFuture::join).filter(v -> v != null)
              .sorted(Comparator.comparing((SyncView v) -> v.namespace() + "/" + v.name())).toList());
        });
  }
}
