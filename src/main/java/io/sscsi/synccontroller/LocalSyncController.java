package io.sscsi.synccontroller;

import com.typesafe.config.Config;
import io.sscsi.fileprovider.FileProvider;
import io.sscsi.local.LocalProviderClassSource;
import io.sscsi.provider.ProviderSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sscsi sync-controller --local-secretsyncs DIR}: the sync controller without a cluster. The
 * same actors and sync runs as in a cluster ({@link SecretSyncGroup}, {@link SecretSyncActor},
 * {@link SyncRun} with the shared provider pool), with other ports: SecretSyncs come from manifest
 * files ({@link LocalSyncFeed}, re-read every {@link #SCAN_INTERVAL}), classes from the driver's
 * local class source, and Secrets go to files or stdout ({@link LocalSyncApi}). With
 * {@code --local-file-provider DIR} the bundled file provider serves DIR in this process on a unix
 * socket in a fresh temporary directory, as provider {@code file}. With {@code --once} every
 * SecretSync is synced once and the process exits: 0 when all synced, 1 when one failed or a manifest
 * could not be used. Otherwise
 * it keeps running: file edits are seen within {@link #SCAN_INTERVAL}, and every object re-syncs
 * by {@code --rotation-poll-interval} (or its annotation) as in a cluster. No HTTP endpoint but the
 * admin view ({@code --admin-addr}, not with {@code --once}); no token, no leader election.
 */
final class LocalSyncController {
  private static final Logger LOG = LoggerFactory.getLogger(LocalSyncController.class);
  static final Duration SCAN_INTERVAL = Duration.ofSeconds(2);
  private static final Duration ONCE_POLL = Duration.ofMillis(100);

  private LocalSyncController() {}

  static int run(SyncControllerFlags flags, Config config) {
    Optional<String> problem = flags.localProblem();
    if (problem.isPresent()) {
      System.err.println("sscsi sync-controller: " + problem.get());
      return 2;
    }
    Path syncsDir = Path.of(flags.localSecretSyncs).toAbsolutePath().normalize();
    Path classesDir = Path.of(flags.localClasses).toAbsolutePath().normalize();
    for (Path dir : List.of(syncsDir, classesDir)) {
      if (!Files.isDirectory(dir)) {
        System.err.println("sscsi sync-controller: " + dir + " is not a directory");
        return 2;
      }
    }
    if (!flags.audiences().isEmpty()) {
      LOG.warn("local mode has no API server to request tokens from: --token-request-audience is ignored,"
          + " providers get no serviceAccount.tokens");
    }
    Optional<Path> out = Optional.ofNullable(flags.localSecretsOut).filter(s -> !s.isBlank())
        .map(s -> Path.of(s).toAbsolutePath().normalize());
    List<Path> socketDirs = new ArrayList<>(List.of(Path.of(flags.providerVolume)));
    FileProvider fileProvider = null;
    Path providerDir = null;
    if (flags.localFileProvider != null && !flags.localFileProvider.isBlank()) {
      Path root = Path.of(flags.localFileProvider).toAbsolutePath().normalize();
      if (!Files.isDirectory(root)) {
        System.err.println("sscsi sync-controller: --local-file-provider " + root + " is not a directory");
        return 2;
      }
      try {
        providerDir = Files.createTempDirectory("sscsi-sync-providers-");
        fileProvider = FileProvider.serve(root, providerDir.resolve("file.sock"));
      } catch (IOException e) {
        System.err.println("sscsi sync-controller: the file provider cannot start: " + e.getMessage());
        return 1;
      }
      socketDirs.add(0, providerDir);
    }
    ProviderSettings providers = new ProviderSettings(socketDirs, SyncControllerProcess.MAX_CONCURRENT_SYNCS, 256,
        Duration.ofMinutes(2), flags.maxCallRecvMsgSize);
    LocalSyncApi api = new LocalSyncApi(new LocalProviderClassSource(classesDir), out, System.out);
    TokenCache tokens = new TokenCache(List.of(), api, Clock.systemUTC());
    Duration interval = flags.once ? Duration.ZERO : flags.rotationPollInterval();
    ActorSystem<SecretSyncGroup.Command> system = ActorSystem.create(
        SyncControllerProcess.group(api, tokens, providers,
            Optional.ofNullable(System.getenv("SYNC_CONTROLLER_POD_NAME")).orElse(""),
            Optional.ofNullable(System.getenv("SYNC_CONTROLLER_POD_UID")).orElse(""), interval), "sscsi-sync-controller", config);
    LOG.info("local mode: SecretSyncs from {}, SecretProviderClasses from {}, Secrets {}, providers in {}{};"
            + " no Kubernetes API server is used, so no tokens (serviceAccount.tokens is left out) and no status"
            + " objects (each sync's condition is logged)", syncsDir, classesDir,
        out.map(p -> "written to " + p + "/<namespace>/<name>.yaml").orElse("printed on stdout"), socketDirs,
        fileProvider == null ? "" : " (file provider serving " + fileProvider.root() + ")");
    LocalSyncFeed feed = new LocalSyncFeed(syncsDir, api, system);
    SyncControllerProcess process = new SyncControllerProcess(system);
    FileProvider provider = fileProvider;
    Path socketDir = providerDir;
    Runnable stop = () -> {
      system.terminate();
      if (provider != null) {
        provider.close();
        try {
          Files.deleteIfExists(socketDir);
        } catch (IOException e) {
          // the socket file is the provider's to remove; an emptied temporary directory stays
        }
      }
    };
    try {
      if (flags.once) {
        return once(feed, process);
      }
      return keepRunning(flags, feed, process, system, stop);
    } finally {
      stop.run();
    }
  }

  private static int once(LocalSyncFeed feed, SyncControllerProcess process) {
    Set<SyncKey> wanted = feed.scan();
    List<SyncView> views;
    while (true) {
      views = process.views().join();
      boolean done = views.size() == wanted.size()
          && views.stream().allMatch(v -> v.syncs() >= 1 && v.state().equals("idle"));
      if (done) {
        break;
      }
      try {
        Thread.sleep(ONCE_POLL.toMillis()); // polls the actors' own state; nothing waits for time to pass
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
    }
    long failed = views.stream().filter(v -> v.lastError() != null).count();
    LOG.info("synced {} SecretSync(s) once: {} written, {} failed{}", views.size(), views.size() - failed, failed,
        feed.problems() ? "; some manifests could not be used (see the warnings above)" : "");
    return failed == 0 && !feed.problems() ? 0 : 1;
  }

  private static int keepRunning(SyncControllerFlags flags, LocalSyncFeed feed, SyncControllerProcess process,
      ActorSystem<SecretSyncGroup.Command> system, Runnable stop) {
    try {
      SyncControllerProcess.bind(system, "admin", flags.adminAddr, "--admin-addr", process.admin());
    } catch (RuntimeException e) {
      LOG.error("{}", e.getMessage());
      return 1;
    }
    ScheduledExecutorService scanner = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sync-local-scan");
      t.setDaemon(true);
      return t;
    });
    scanner.scheduleWithFixedDelay(() -> {
      try {
        feed.scan();
      } catch (RuntimeException e) {
        LOG.warn("scanning the SecretSync manifests failed: {}", e.getClass().getSimpleName());
      }
    }, 0, SCAN_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      scanner.shutdownNow();
      stop.run();
    }, "sscsi-sync-controller-stop"));
    system.getWhenTerminated().toCompletableFuture().join();
    return 0;
  }
}
