package io.sscsi;

import com.typesafe.config.Config;
import io.sscsi.config.DriverSettings;
import io.sscsi.config.SscsiVersion;
import io.sscsi.csi.CoreGate;
import io.sscsi.csi.CsiServer;
import io.sscsi.csi.IdentityService;
import io.sscsi.csi.NodeService;
import io.sscsi.csi.VolumeCalls;
import io.sscsi.grpc.UnixSocketServer;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver process in its two halves. {@link #serve} publishes the CSI socket first, with nothing
 * but Identity and the Node calls that need no volume behind it, so kubelet's registrar gets its
 * GetPluginInfo answered at once even on a cold JVM at a fifth of a CPU. The core (the API client,
 * the actor system, volume actors, providers, restart recovery) starts on its own thread when the {@link CoreGate} says it is wanted: after the first answered
 * GetPluginInfo, at the first volume call, or after {@code sscsi.driver.core-start-wait} without a
 * caller. Publish and unpublish calls that arrive before it is up wait for it. What no first volume
 * call needs (metrics, admin endpoint, the API server's watches) starts once the first volume call was
 * answered, or {@code core-start-wait} after the router is up without one.
 */
public final class DriverProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DriverProcess.class);

  /**
   * What the core runs against, built only when the core starts, and what to close after it.
   *
   * @param afterFirstCall what no first volume call needs, run (on the blocking dispatcher) when the
   *     metrics and admin endpoints bind: after the first volume call was answered, or
   *     {@code core-start-wait} after the router is up without one (in a cluster: the API server's watches)
   */
  public record Core(Guardian.Edges edges, AutoCloseable resources, Runnable afterFirstCall) {
    /** A core with nothing to start after the first volume call. */
    public Core(Guardian.Edges edges, AutoCloseable resources) {
      this(edges, resources, () -> {});
    }
  }

  private final DriverSettings settings;
  private final Supplier<Config> fullConfig;
  private final Duration coreStartWait;
  private final CoreGate gate = new CoreGate();
  private final CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private UnixSocketServer server;
  private ActorSystem<Void> system;
  private AutoCloseable resources = () -> {};
  private boolean stopping;

  private DriverProcess(DriverSettings settings, Supplier<Config> fullConfig, Duration coreStartWait) {
    this.settings = settings;
    this.fullConfig = fullConfig;
    this.coreStartWait = coreStartWait;
  }

  /**
   * Publishes the CSI socket (returning once it answers) and arranges the core's start.
   *
   * @throws IOException when the socket cannot be served
   */
  public static DriverProcess serve(DriverSettings settings, Config config, Supplier<Core> core) throws IOException {
    return serve(settings, config, () -> config, core);
  }

  /**
   * As {@link #serve(DriverSettings, Config, Supplier)}, with {@code config} holding only the driver's
   * own settings and {@code fullConfig} (pekko's and every library's) read when the core starts.
   */
  public static DriverProcess serve(DriverSettings settings, Config config, Supplier<Config> fullConfig,
      Supplier<Core> core) throws IOException {
    Duration wait = config.getDuration("sscsi.driver.core-start-wait");
    DriverProcess process = new DriverProcess(settings, fullConfig, wait);
    process.server = CsiServer.start(settings.socket(),
        new IdentityService(settings.driverName(), SscsiVersion.current(), process.gate::healthy, process.gate),
        new NodeService(process.gate, settings.nodeId(), java.time.Clock.systemUTC()),
        io.sscsi.grpc.UnixSocketServer.DIRECT);
    process.gate.socketPublished();
    LOG.info("sscsi {} serving CSI driver {} for node {} on unix://{}", SscsiVersion.current(),
        settings.driverName(), settings.nodeId(), settings.socket());
    if (wait.isZero()) {
      process.gate.startNow();
    } else {
      CompletableFuture.delayedExecutor(wait.toMillis(), TimeUnit.MILLISECONDS, Runnable::run).execute(process.gate::startNow);
    }
    process.gate.wanted().thenRun(() -> {
      Thread starter = new Thread(() -> process.startCore(core), "sscsi-core-start");
      starter.setDaemon(true);
      starter.start();
    });
    return process;
  }

  /**
   * When the core binds its metrics and admin endpoints and runs {@link Core#afterFirstCall}: after the
   * first volume call was answered, or {@code sscsi.driver.core-start-wait} after the volume router is
   * up without one, arrived or answered (0: at once); a first call still in flight then is waited for.
   * At 200m the endpoints' start (pekko-http, TLS defaults) costs as much CPU as the first publish itself.
   */
  private CompletableFuture<Void> endpointsWanted(CompletableFuture<?> routerUp) {
    CompletableFuture<Void> wanted = gate.firstVolumeCallAnswered().toCompletableFuture().copy();
    if (coreStartWait.isZero()) {
      wanted.complete(null);
    } else {
      routerUp.thenRun(() -> CompletableFuture.delayedExecutor(coreStartWait.toMillis(), TimeUnit.MILLISECONDS,
          Runnable::run).execute(() -> {
            if (!gate.firstVolumeCallInFlight()) { // else its answer completes wanted
              wanted.complete(null);
            }
          }));
    }
    return wanted;
  }

  private void startCore(Supplier<Core> parts) {
    CompletableFuture<org.apache.pekko.actor.typed.ActorRef<io.sscsi.volume.VolumeRouter.Command>> routerUp =
        new CompletableFuture<>();
    try {
      Config everything = fullConfig.get();
      Core core = parts.get();
      synchronized (this) {
        if (stopping) {
          core.resources().close();
          return;
        }
        resources = core.resources();
        CompletableFuture<Void> afterFirstCall = endpointsWanted(routerUp);
        ActorSystem<Void> created = ActorSystem.create(
            Guardian.create(settings, core.edges(), routerUp, afterFirstCall, started), "sscsi", everything);
        system = created;
        afterFirstCall.thenRunAsync(core.afterFirstCall(),
            created.dispatchers().lookup(DispatcherSelector.fromConfig(Guardian.BLOCKING_DISPATCHER)))
            .exceptionally(failure -> {
              LOG.error("starting what follows the first volume call failed: {}", failure.toString());
              return null;
            });
        routerUp.thenAccept(router -> gate.coreUp(new VolumeCalls(router, created.scheduler())));
      }
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "csi-socket", () -> {
        server.close();
        return CompletableFuture.completedFuture(Done.getInstance());
      });
      system.getWhenTerminated().thenRun(() -> {
        closeQuietly(resources);
        exit.complete(started.isCompletedExceptionally() ? 1 : 0);
      });
      started.whenComplete((ok, failure) -> {
        if (failure != null) {
          gate.coreFailed(Optional.ofNullable(failure.getMessage()).orElse(failure.toString()));
        }
      });
    } catch (Exception | LinkageError e) {
      LOG.error("the driver's core did not start: {}", e.toString());
      started.completeExceptionally(e);
      gate.coreFailed(e.toString());
      server.close();
      exit.complete(1);
    }
  }

  /** The core's children and endpoints, once it is up. */
  public CompletableFuture<Guardian.Started> core() {
    return started;
  }

  /** The core's actor system, once {@link #core()} has completed. */
  public synchronized ActorSystem<Void> system() {
    return system;
  }

  /** Blocks until the driver has stopped; 0 after a clean stop, 1 when the core failed. */
  public int awaitExit() {
    return exit.join();
  }

  /**
   * Stops the driver: the core through CoordinatedShutdown (which unbinds the socket first), or, if
   * the core never started, the socket alone. Safe to call from a JVM shutdown hook and twice.
   */
  @Override
  public void close() {
    ActorSystem<Void> running;
    synchronized (this) {
      stopping = true;
      running = system;
    }
    if (running == null) {
      server.close();
      exit.complete(0);
      return;
    }
    running.terminate();
    running.getWhenTerminated().toCompletableFuture().join();
    server.close();
    closeQuietly(resources);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.debug("closing: {}", e.toString());
    }
  }
}
