package io.sscsi.bench;

import io.sscsi.testkit.MockApiServers;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.provider.ProviderSettings;
import io.sscsi.synccontroller.ApplyRecordingCrud;
import io.sscsi.synccontroller.KubeSyncApi;
import io.sscsi.synccontroller.SecretSyncActor;
import io.sscsi.synccontroller.SecretSyncGroup;
import io.sscsi.synccontroller.SyncDeps;
import io.sscsi.synccontroller.SyncRun;
import io.sscsi.synccontroller.SyncTiming;
import io.sscsi.provider.ProviderHealth;
import io.sscsi.provider.ProviderPools;
import io.sscsi.provider.ProviderRegistry;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.DispatcherSelector;
import io.sscsi.synccontroller.SyncView;
import io.sscsi.synccontroller.SyncWatches;
import io.sscsi.synccontroller.TokenCache;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncSpec;
import io.sscsi.testkit.TestProvider;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.management.ObjectName;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Benchmark (not a test): the sync controller's cost in cluster mode, in this JVM, with the
 * production classes wired as the process wires them ({@link SecretSyncGroup}, {@link SyncRun} over the
 * driver's provider pool, {@link KubeSyncApi}, {@link SyncWatches})
 * against fabric8's mock API server (CRUD mode, server-side apply served by {@link ApplyRecordingCrud})
 * and a provider over a real unix socket ({@link TestProvider}, answering at once). The actors' timers
 * run on pekko's ManualTime (the provider pool's deadlines on real time, in a second actor system), so
 * an idle hour and a 12 h resync are {@code timePasses}, not real time.
 * Objects are created by a second client with its own User-Agent, whose requests are not counted; every
 * phase ends on the exact state it must reach (each actor's sync count, idle). Prints a Markdown table:
 * API requests by verb and resource and provider calls per phase, and the heap the controller holds
 * with N SecretSyncs (heap used after GC with the controller running, minus the same once it is stopped
 * and its watches closed: the mock's own copy of the objects stays in both).
 *
 * <p>{@code bench/sync-controller.sh [N]} (default 1,000 SecretSyncs in 10 namespaces).
 */
public final class SyncControllerBench {
  static final String SETUP_AGENT = "sscsi-bench-setup";
  static final int NAMESPACES = 10;
  static final Duration INTERVAL = Duration.ofHours(12);
  /** Held so that its level stays set (java.util.logging keeps loggers weakly). */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private SyncControllerBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING); // one line per request otherwise
    Path dir = Files.createTempDirectory("sscsi-sync-bench-");
    ActorTestKit kit = ActorTestKit.create("sync-bench", ManualTime.config().withFallback(ConfigFactory.load()));
    ManualTime time = ManualTime.get(kit.system());
    DriverMetrics.init(kit.system().settings().config());
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new ApplyRecordingCrud(), false);
    server.init();
    KubernetesClient client = server.createClient();
    KubernetesClient setup = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
        .withUserAgent(SETUP_AGENT).build()).build();
    TestProvider provider = TestProvider.start(dir, "vault");
    provider.answerNow(TestProvider.files(Map.of("password", "value-1", "user", "app")));

    Map<String, Long> memory = new LinkedHashMap<>();
    memory.put("heap used, nothing started", heapAfterGc());
    List<SyncWatches> holder = new ArrayList<>();
    KubeSyncApi api = new KubeSyncApi(client, key -> holder.get(0).cachedClass(key));
    ProviderSettings providers = new ProviderSettings(List.of(dir), 16, 256, Duration.ofMinutes(2), 4 << 20);
    // The provider pool runs on real time (its deadlines and connection checks are timers); the
    // SecretSync actors, whose timers are the resyncs and backoffs, on ManualTime.
    ActorTestKit realTime = ActorTestKit.create("sync-bench-providers", ConfigFactory.load());
    var registry = realTime.spawn(ProviderRegistry.create(providers, new ProviderHealth(), Clock.systemUTC(),
        DispatcherSelector.defaultDispatcher()), "provider-registry");
    // As the process: provider answers are checked on the blocking pool, runs block on their own.
    Executor checks = Executors.newFixedThreadPool(16);
    Executor blocking = Executors.newFixedThreadPool(16);
    SyncRun run = new SyncRun(api, new ProviderPools(registry, realTime.scheduler(), Clock.systemUTC(), checks,
        providers.payloadPolicy()), new TokenCache(List.of(), api, Clock.systemUTC()), "bench-0", "bench-uid",
        providers.callTimeout(), Clock.systemUTC());
    SyncDeps deps = new SyncDeps(run, api, blocking, new SyncTiming(SyncTiming.defaultBackoff(),
        () -> ThreadLocalRandom.current().nextDouble()), INTERVAL, Clock.systemUTC());
    ActorRef<SecretSyncGroup.Command> group = kit.spawn(SecretSyncGroup.create(deps, 16), "group");
    SyncWatches watches = new SyncWatches(client, group);
    holder.add(watches);

    Map<String, Map<String, Integer>> requests = new LinkedHashMap<>();
    Map<String, Integer> calls = new LinkedHashMap<>();
    drain(server);
    watches.start();
    for (int i = 0; i < NAMESPACES; i++) {
      spc(setup, "ns-" + i);
    }
    waitFor(group, kit, v -> v.isEmpty(), "started");
    record("start: watches, " + NAMESPACES + " classes", server, provider, requests, calls);
    memory.put("heap used, controller started, no SecretSync", heapAfterGc());

    for (int i = 0; i < n; i++) {
      secretSync(setup, "ns-" + (i % NAMESPACES), "sync-" + i);
    }
    waitFor(group, kit, all(n, 1), n + " SecretSyncs synced once");
    record(n + " SecretSyncs created, first sync", server, provider, requests, calls);
    memory.put("heap used, " + n + " SecretSyncs synced", heapAfterGc());
    long rss = rssKib();

    time.timePasses(Duration.ofHours(1));
    waitFor(group, kit, all(n, 1), "still idle");
    record("idle hour (resync every 12 h)", server, provider, requests, calls);

    time.timePasses(INTERVAL.multipliedBy(5).dividedBy(4));
    waitFor(group, kit, all(n, 2), "every object resynced");
    record("12 h resync, content unchanged", server, provider, requests, calls);

    provider.answerNow(TestProvider.files(Map.of("password", "value-2", "user", "app")));
    time.timePasses(INTERVAL.multipliedBy(5).dividedBy(4));
    waitFor(group, kit, all(n, 3), "every object resynced again");
    record("12 h resync, content changed", server, provider, requests, calls);

    watches.close();
    kit.stop(group);
    memory.put("heap used, controller stopped (mock's objects remain)", heapAfterGc());

    System.out.println("## Sync controller, " + n + " SecretSyncs in " + NAMESPACES + " namespaces, "
        + Runtime.getRuntime().availableProcessors() + " CPUs, load " + loadAverage());
    System.out.println();
    System.out.println("| phase | provider calls | API requests | by verb and resource |");
    System.out.println("|---|---|---|---|");
    requests.forEach((phase, counts) -> System.out.println("| " + phase + " | " + calls.get(phase) + " | "
        + ApiRequests.total(counts) + " | " + String.join("; ", counts.entrySet().stream()
            .map(e -> e.getValue() + " " + e.getKey()).toList()) + " |"));
    System.out.println();
    memory.forEach((k, v) -> System.out.printf("- %s: %.1f MiB%n", k, v / 1048576.0));
    long held = memory.get("heap used, " + n + " SecretSyncs synced")
        - memory.get("heap used, controller stopped (mock's objects remain)");
    System.out.printf("- controller's heap with %d SecretSyncs (synced minus stopped): %.1f MiB, %.1f KiB per object%n",
        n, held / 1048576.0, held / 1024.0 / n);
    System.out.printf("- RSS of this JVM (controller + mock API server + provider) with %d synced: %.0f MiB%n", n,
        rss / 1024.0);
    nmt().ifPresent(s -> System.out.println("- NMT (whole JVM) committed: " + s));

    setup.close();
    client.close();
    provider.close();
    MockApiServers.destroy(server);
    kit.shutdownTestKit();
    realTime.shutdownTestKit();
    System.exit(0);
  }

  static Predicate<List<SyncView>> all(int n, long syncs) {
    return views -> views.size() == n && views.stream().allMatch(v -> v.syncs() >= syncs && v.state().equals("idle")
        && v.lastError() == null);
  }

  static void waitFor(ActorRef<SecretSyncGroup.Command> group, ActorTestKit kit, Predicate<List<SyncView>> done,
      String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
    List<SyncView> last = List.of();
    int polls = 0;
    while (System.nanoTime() < deadline) {
      last = views(group, kit);
      if (done.test(last)) {
        return;
      }
      if (++polls % 30 == 0) {
        System.err.println("waiting for " + what + ": " + progress(last));
      }
      Thread.sleep(1000); // how often the actors are asked; counts do not depend on it
    }
    throw new IllegalStateException("not reached: " + what + "; " + progress(last));
  }

  static String progress(List<SyncView> views) {
    Map<String, Long> states = new TreeMap<>();
    views.forEach(v -> states.merge(v.state() + " syncs=" + v.syncs(), 1L, Long::sum));
    return views.size() + " actors " + states + views.stream().filter(v -> v.lastError() != null).findFirst()
        .map(v -> ", e.g. " + v.namespace() + "/" + v.name() + ": " + v.lastError()).orElse("");
  }

  static List<SyncView> views(ActorRef<SecretSyncGroup.Command> group, ActorTestKit kit) {
    Duration ask = Duration.ofSeconds(30);
    List<ActorRef<SecretSyncActor.Command>> refs = AskPattern.<SecretSyncGroup.Command,
        List<ActorRef<SecretSyncActor.Command>>>ask(group, SecretSyncGroup.ListActors::new, ask, kit.scheduler())
        .toCompletableFuture().join();
    List<CompletableFuture<SyncView>> views = new ArrayList<>();
    for (ActorRef<SecretSyncActor.Command> ref : refs) {
      views.add(AskPattern.<SecretSyncActor.Command, SyncView>ask(ref, SecretSyncActor.Describe::new, ask,
          kit.scheduler()).toCompletableFuture());
    }
    return views.stream().map(CompletableFuture::join).toList();
  }

  static void record(String phase, KubernetesMockServer server, TestProvider provider,
      Map<String, Map<String, Integer>> requests, Map<String, Integer> calls) throws InterruptedException {
    requests.put(phase, drain(server));
    int before = calls.values().stream().mapToInt(Integer::intValue).sum();
    calls.put(phase, provider.requests.size() - before);
  }

  /** The controller's requests since the last drain (the setup client's are left out), by {@link ApiRequests#key}. */
  static Map<String, Integer> drain(KubernetesMockServer server) throws InterruptedException {
    Map<String, Integer> counts = new TreeMap<>();
    RecordedRequest r;
    while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
      String agent = r.getHeader("User-Agent");
      if (agent == null || !agent.startsWith(SETUP_AGENT)) {
        counts.merge(ApiRequests.key(r.getMethod(), r.getPath()), 1, Integer::sum);
      }
    }
    return counts;
  }

  static void spc(KubernetesClient setup, String ns) {
    SecretProviderClass c = new SecretProviderClass();
    c.getMetadata().setNamespace(ns);
    c.getMetadata().setName("db-spc");
    c.setSpec(new SecretProviderClassSpec("vault", Map.of("objects", "password,user"), null));
    setup.resources(SecretProviderClass.class).inNamespace(ns).resource(c).create();
  }

  static void secretSync(KubernetesClient setup, String ns, String name) {
    SecretSync s = new SecretSync();
    s.getMetadata().setNamespace(ns);
    s.getMetadata().setName(name);
    s.setSpec(new SecretSyncSpec("db-spc", "default", new SecretSyncSpec.SecretObject(null, List.of(
        new SecretSyncSpec.SecretObjectData("password", "DB_PASSWORD"),
        new SecretSyncSpec.SecretObjectData("user", "DB_USER")), null, null), null, null));
    setup.resources(SecretSync.class).inNamespace(ns).resource(s).create();
  }

  static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static long rssKib() throws java.io.IOException {
    return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
        .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1L);
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  /** NMT's total line when the JVM runs with {@code -XX:NativeMemoryTracking=summary}. */
  static java.util.Optional<String> nmt() {
    try {
      String out = (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
          new Object[] {new String[] {"summary", "scale=MB"}}, new String[] {String[].class.getName()});
      return out.lines().filter(l -> l.startsWith("Total:")).findFirst().map(String::trim);
    } catch (Exception e) {
      return java.util.Optional.empty();
    }
  }
}
