package io.sscsi.bench;

import io.sscsi.testkit.Cgroup;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sscsi.cli.KubeletRequests;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.grpc.UnixChannels;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.testkit.Cluster;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Pod mode of the benchmark (a {@code main}, run by {@code bench/run.sh --pod}): the driver as a
 * node runs it, inside a {@link Cgroup} with the DaemonSet's CPU and memory limits (the chart's
 * default resources, and upstream's 200m/200Mi), started with a runtime's command prefix from
 * {@code deploy/hack/local-runtime.sh} (the image's runtime, DaemonSet JVM flags and class archive;
 * or another runtime/archive with the same flags) and the DaemonSet's own driver arguments. This JVM plays kubelet
 * and the registrar from outside the cgroup; {@link ZeroProvider} is the provider; in cluster mode
 * fabric8's mock API server (CRUD) runs here and counts the driver's requests. Per configuration:
 * start to socket file to GetPluginInfo (1 s deadline, retried, as node-driver-registrar), the first
 * 50 publishes one by one, warm latency at c=1 and c=8, memory at 0/40/250/1,000/10,000 volumes,
 * idle CPU, OOM kills. Writes {@code <out>.json} and {@code <out>.md} ({@link PodReport}).
 */
public final class PodBench {
  static final String NS = "bench";
  static final String CLASS = "small";
  static final YAMLMapper YAML = YAMLMapper.builder().build();

  /** A runtime: its name and the command prefix up to and including {@code -jar <jar>}. */
  record Launch(String name, List<String> prefix) {
    Path jcmd() {
      return prefix.stream().filter(s -> s.endsWith("/bin/java")).findFirst().map(s -> Path.of(s).resolveSibling("jcmd"))
          .orElse(Path.of(System.getProperty("java.home"), "bin", "jcmd"));
    }
  }

  record Limits(String name, long cpuMillis, long memoryBytes) {
    String label() {
      return cpuMillis + "m/" + (memoryBytes >> 20) + "Mi";
    }
  }

  record Config(Launch runtime, Limits limits, String mode) {
    String key() {
      return runtime.name() + " " + limits.name() + " " + mode;
    }
  }

  /** One pod volume, laid out as kubelet lays it out. */
  record Volume(Path target, String id, String uid, String pod) {}

  final Path work;
  final Path out;
  final boolean quick;
  final String cgroupPrefix;
  final List<Config> configs = new ArrayList<>();
  final Map<String, Object> results = new LinkedHashMap<>();
  final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
  final List<Cgroup> cgroups = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger seq = new AtomicInteger();
  final Map<String, String> daemonSetArgs;
  final Launch firstRuntime;
  final int idleSeconds;
  final List<Launch> floors = new ArrayList<>();
  final List<Limits> floorLimits;
  /** --nmt: the driver runs with {@code -XX:NativeMemoryTracking=summary}; each memory reading adds its categories. */
  final boolean nmt;
  /** --levels=250,1000: the volume counts to measure memory at, instead of {@link #levels}'s defaults. */
  final int[] levelsOverride;
  /** --histogram: each heap reading also writes the driver's class histogram (live objects) beside the results. */
  final boolean histogram;
  /** --no-warm: no warm-latency phase (a memory profile only: the volumes' cost, not the CPU per cycle). */
  final boolean noWarm;
  ManagedChannel provider;
  KubernetesMockServer mock;
  Path kubeconfig;

  PodBench(Map<String, String> a) throws IOException {
    work = Path.of(a.get("work")).toAbsolutePath();
    out = Path.of(a.get("out")).toAbsolutePath();
    quick = a.containsKey("quick");
    cgroupPrefix = a.getOrDefault("cgroup-prefix", "sscsi-pod-" + ProcessHandle.current().pid());
    Path deploy = Path.of(a.getOrDefault("deploy", "deploy"));
    daemonSetArgs = daemonSetArgs(deploy.resolve("secrets-store-csi-driver.yaml"));
    Limits chart = chartLimits(deploy.resolve("charts/sscsi/values.yaml"));
    if (a.containsKey("chart-memory-mib")) { // e.g. 512: the chart's CPU limit with more memory, to see how far it goes
      chart = new Limits("chart", chart.cpuMillis(), Long.parseLong(a.get("chart-memory-mib")) << 20);
    }
    List<Limits> limits = List.of(chart, new Limits("upstream", 200, 200L << 20));
    List<Launch> runtimes = new ArrayList<>();
    for (String spec : a.get("runtimes").split(",")) { // name=file holding local-runtime.sh's last line
      String[] nf = spec.split("=", 2);
      runtimes.add(new Launch(nf[0], List.of(Files.readString(Path.of(nf[1])).trim().split("\\s+"))));
    }
    List<String> modes = List.of(a.getOrDefault("modes", "local,cluster").split(","));
    for (String mode : modes) {
      for (Launch rt : runtimes) {
        for (Limits l : limits) {
          configs.add(new Config(rt, l, mode));
        }
      }
    }
    if (quick && !a.containsKey("configs")) { // each runtime, each limit and each mode once
      List<String> keep = new ArrayList<>(List.of(runtimes.get(0).name() + " chart local",
          runtimes.get(0).name() + " upstream cluster"));
      runtimes.stream().skip(1).forEach(rt -> keep.add(rt.name() + " chart local"));
      configs.removeIf(c -> !keep.contains(c.key()));
    }
    if (a.containsKey("configs")) { // e.g. --configs="shipped chart local,jdk17 chart local"
      List<String> keep = List.of(a.get("configs").split(","));
      configs.removeIf(c -> !keep.contains(c.key()));
    }
    firstRuntime = runtimes.get(0);
    if (a.containsKey("floors")) { // name=file holding floor-runtime.sh's line
      for (String spec : a.get("floors").split(",")) {
        String[] nf = spec.split("=", 2);
        floors.add(new Launch(nf[0], List.of(Files.readString(Path.of(nf[1])).trim().split("\\s+"))));
      }
    }
    floorLimits = limits;
    idleSeconds = Integer.parseInt(a.getOrDefault("idle-seconds", quick ? "10" : "60"));
    nmt = a.containsKey("nmt");
    levelsOverride = a.containsKey("levels")
        ? java.util.Arrays.stream(a.get("levels").split(",")).mapToInt(Integer::parseInt).toArray() : null;
    histogram = a.containsKey("histogram");
    noWarm = a.containsKey("no-warm");
  }

  public static void main(String[] args) throws Exception {
    PodBench bench = new PodBench(BenchMain.args(args));
    BenchMain.runAndExit("pod-bench-cleanup", bench::cleanup, bench::run);
  }

  // ---------------------------------------------------------------- the run

  /** The drivers' class directory (one SecretProviderClass of provider zero2) and the providers' directory. */
  void prepareWork() throws IOException {
    Files.createDirectories(work.resolve("classes"));
    Files.createDirectories(work.resolve("providers"));
    Files.writeString(work.resolve("classes/small.yaml"), """
        apiVersion: secrets-store.csi.x-k8s.io/v1
        kind: SecretProviderClass
        metadata:
          name: %s
          namespace: %s
        spec:
          provider: zero2
          parameters:
            objects: fixed
        """.formatted(CLASS, NS));
  }

  void run() throws Exception {
    prepareWork();
    results.put("machine", PublishBench.machine());
    results.put("quick", quick);
    results.put("daemonSetArgs", daemonSetArgs);
    Map<String, Object> rts = new LinkedHashMap<>();
    configs.forEach(c -> rts.put(c.runtime().name(), String.join(" ", c.runtime().prefix())));
    results.put("runtimes", rts);
    startProvider();
    warmUpClient();
    if (configs.stream().anyMatch(c -> c.mode().equals("cluster"))) {
      startMockApiServer();
    }
    Map<String, Object> byFloor = new LinkedHashMap<>();
    results.put("floors", byFloor);
    for (int run = 0; run < (floors.isEmpty() ? 0 : quick ? 2 : 3); run++) {
      for (Launch floor : floors) {
        for (Limits l : floorLimits) {
          String key = floor.name() + " " + l.name() + " #" + (run + 1);
          System.out.println("== floor " + key + " (" + l.label() + ")");
          byFloor.put(key, floor(floor, l));
        }
      }
    }
    Map<String, Object> byConfig = new LinkedHashMap<>();
    results.put("configs", byConfig);
    for (Config c : configs) {
      System.out.println("== " + c.key() + " (" + c.limits().label() + ")");
      byConfig.put(c.key(), measure(c));
    }
    for (Config c : configs) {
      if (c.mode().equals("cluster")) {
        results.put("rotation", rotation(c));
        break;
      }
    }
    results.put("loadAvgEnd", Files.readString(Path.of("/proc/loadavg")).trim());
    Files.createDirectories(out.getParent());
    Files.writeString(Path.of(out + ".json"), PublishBench.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results));
    String md = PodReport.markdown(results);
    Files.writeString(Path.of(out + ".md"), md);
    System.out.println(md);
    System.out.println("results: " + out + ".json and " + out + ".md");
  }

  Map<String, Object> measure(Config c) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("runtime", c.runtime().name());
    r.put("limits", c.limits().label());
    r.put("mode", c.mode());
    int n = seq.incrementAndGet();
    Path kubelet = work.resolve("kubelet-" + n);
    Phases phase = new Phases("start");
    r.put("phaseSeconds", phase.seconds);
    Driver[] started = new Driver[1];
    try (Cgroup cg = cgroup(n, c.limits())) {
      r.put("cgroup", cg.v2 ? "v2" : "v1");
      try {
        Driver d = started[0] = new Driver(c, cg, kubelet, List.of());
        r.put("startup", d.startup);
        r.put("api:startup", api());
        phase.next("cold");
        r.put("cold", cold(d));
        r.put("api:cold", api());
        r.put("jvm", jvmView(c.runtime(), d.pid()));
        phase.next("memory 0");
        Pacing.settle(Pacing.SNAPSHOT_SETTLE);
        Map<String, Object> memory = new LinkedHashMap<>();
        r.put("memory", memory);
        memory.put("0", snapshot(c.runtime(), d, cg, true));
        histogram(c, d, 0);
        if (!noWarm) {
          phase.next("warm");
          r.put("warm", warm(d, cg));
          r.put("api:warm", api());
        }
        List<Volume> mounted = new ArrayList<>();
        for (int level : levels(c)) {
          phase.next("memory " + level);
          List<Volume> batch = new ArrayList<>();
          while (mounted.size() + batch.size() < level) {
            batch.add(newVolume(d.pods));
          }
          double secs = PublishBench.parallel(batch, 8, v -> publish(d.channel(), v));
          mounted.addAll(batch);
          Pacing.settle(Pacing.SNAPSHOT_SETTLE);
          Map<String, Object> snap = snapshot(c.runtime(), d, cg, level != 40);
          snap.put("publishSeconds", PublishBench.round(secs));
          memory.put("" + level, snap);
          histogram(c, d, level);
          System.out.println("  memory " + level + ": " + snap);
          if (level == 250) {
            r.put("api:publish to 250", api());
            phase.next("idle");
            r.put("idle", idle(d, cg));
            r.put("api:idle", api());
          }
        }
        phase.next("unpublish all");
        r.put("unpublishAllSeconds", PublishBench.round(PublishBench.parallel(mounted, 8, v -> unpublish(d.channel(), v))));
        r.put("api:more volumes and unpublish all", api());
      } catch (Throwable t) {
        r.put("error", phase.name + ": " + t);
        r.put("tmpfsMountedAtError", new io.sscsi.fs.MountTable().under(kubelet).size());
        System.out.println("  FAILED in " + phase.name + ": " + t);
      } finally {
        r.put("oom", oom(cg, started[0]));
        phase.next("stop");
        if (started[0] != null) {
          started[0].close();
        }
        phase.next("");
        Leftovers.unmountUnder(kubelet);
      }
    }
    return r;
  }

  /**
   * The start floor ({@link FloorServer}) in the same limits as the driver: start to socket file to
   * GetPluginInfo answered (called as the registrar calls it), its CPU by then, and its RSS once idle.
   */
  Map<String, Object> floor(Launch floor, Limits limits) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("runtime", floor.name());
    r.put("limits", limits.label());
    int n = seq.incrementAndGet();
    Path socket = Files.createDirectories(work.resolve("floor-" + n)).resolve("csi.sock");
    try (Cgroup cg = cgroup(n, limits)) {
      List<String> cmd = new ArrayList<>(floor.prefix());
      cmd.add(socket.toString());
      dropPageCache(floor);
      RegistrarStart.Started started = RegistrarStart.launch(cg.wrap(cmd), socket, socket.resolveSibling("floor.log"),
          Duration.ofSeconds(180), 1 << 20, processes::add);
      Process p = started.process();
      try {
        started.channel().shutdownNow();
        r.put("socketFileMs", started.socketFileMs());
        if (!started.failures().isEmpty()) {
          r.put("getPluginInfoFailures", started.failures().size());
        }
        r.put("getPluginInfoAnsweredMs", started.answeredMs());
        r.put("cpuMsToAnswer", PublishBench.cpuMs(p.pid()));
        r.put("loadAvg", Files.readString(Path.of("/proc/loadavg")).trim());
        Pacing.settle(Pacing.SNAPSHOT_SETTLE);
        r.put("proc", PublishBench.procStatus(p.pid()));
        System.out.println("  floor " + r);
      } finally {
        p.destroy();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
    return r;
  }

  /** Wall time per phase, for tuning the run's length. */
  static final class Phases {
    final Map<String, Double> seconds = new LinkedHashMap<>();
    String name;
    long t = System.nanoTime();

    Phases(String name) {
      this.name = name;
    }

    void next(String next) {
      long now = System.nanoTime();
      seconds.merge(name, PublishBench.round((now - t) / 1e9), Double::sum);
      name = next;
      t = now;
    }
  }

  /** Volume counts to measure at: 40 and 250; the full run adds 1,000, and 10,000 for the first (shipped) runtime. */
  int[] levels(Config c) {
    if (levelsOverride != null) {
      return levelsOverride;
    }
    return quick ? new int[] {40, 250} : c.runtime() == firstRuntime ? new int[] {40, 250, 1000, 10000}
        : new int[] {40, 250, 1000};
  }

  /** A new cgroup for configuration number n, removed by {@link #cleanup} too if the run is interrupted. */
  Cgroup cgroup(int n, Limits limits) throws IOException {
    Cgroup g = Cgroup.create(cgroupPrefix + "-" + n, limits.cpuMillis(), limits.memoryBytes());
    cgroups.add(g);
    return g;
  }

  // ---------------------------------------------------------------- phases

  /** The first 50 publishes, one by one (the first is the one right after GetPluginInfo), then 50 unpublishes. */
  Map<String, Object> cold(Driver d) throws Exception {
    List<Volume> vs = new ArrayList<>();
    long[] pub = new long[50];
    long[] unpub = new long[50];
    for (int i = 0; i < 50; i++) {
      Volume v = newVolume(d.pods);
      long t = System.nanoTime();
      if (i == 0) { // kubelet retries a failed publish; count the failures, time until it succeeds
        List<String> failures = new ArrayList<>();
        while (true) {
          try {
            publish(d.channel(), v);
            break;
          } catch (StatusRuntimeException e) {
            failures.add(e.getStatus().getCode().toString());
            if (failures.size() > 300) {
              throw e;
            }
            Pacing.pollEvery(Duration.ofMillis(100));
          }
        }
        d.startup.put("firstPublishFailures", failures);
      } else {
        publish(d.channel(), v);
      }
      pub[i] = System.nanoTime() - t;
      if (i == 0) {
        d.startup.put("firstPublishMs", ms(pub[0]));
        d.startup.put("firstPublishDoneAfterSocketMs", ms(System.nanoTime() - d.socketAt));
      }
      vs.add(v);
    }
    for (int i = 0; i < 50; i++) {
      long t = System.nanoTime();
      unpublish(d.channel(), vs.get(i));
      unpub[i] = System.nanoTime() - t;
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("publishMs", msPercentiles(pub));
    r.put("unpublishMs", msPercentiles(unpub));
    System.out.println("  startup " + d.startup + "\n  cold " + r);
    return r;
  }

  Map<String, Object> warm(Driver d, Cgroup cg) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    // Warm-up, not recorded. With C1 only (-XX:TieredStopAtLevel=1) a method is compiled after about 200 calls,
    // and much of the path runs once or twice per cycle: after 30 cycles most of it was still interpreted, and
    // the c=8 figure (cycles 160-240 of the process) read 14-17 ms where the same runtime settles at a third of
    // that after 1,000-1,500 cycles (BENCHMARKS.md, "CPU per cycle at 200m").
    int warmUp = quick ? 1000 : 2000;
    cycles(d, cg, 8, warmUp);
    r.put("warmUpCycles", warmUp);
    long hits0 = cg.limitHits();
    long faults0 = majorFaults(d.pid());
    r.put("c1", cycles(d, cg, 1, quick ? 30 : 300));
    int n = quick ? 80 : 1000;
    long gcs0 = d.youngGcs();
    r.put("c8", cycles(d, cg, 8, n));
    r.put("youngGcsPer1000CyclesC8", Math.round((d.youngGcs() - gcs0) * 1000.0 / n));
    r.put("limitHitsAfterWarmUp", cg.limitHits() - hits0);
    r.put("majorFaultsAfterWarmUp", majorFaults(d.pid()) - faults0);
    System.out.println("  warm " + r);
    return r;
  }

  /** c workers, each publishing then unpublishing a fresh volume. */
  Map<String, Object> cycles(Driver d, Cgroup cg, int c, int n) throws Exception {
    List<Volume> vs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      vs.add(newVolume(d.pods));
    }
    long[] pub = new long[n];
    long[] unpub = new long[n];
    AtomicInteger slot = new AtomicInteger();
    long cpu0 = PublishBench.cpuMs(d.pid());
    Map<String, Long> thr0 = cg.throttling();
    double secs = PublishBench.parallel(vs, c, v -> {
      long t0 = System.nanoTime();
      publish(d.channel(), v);
      long t1 = System.nanoTime();
      unpublish(d.channel(), v);
      int s = slot.getAndIncrement();
      pub[s] = t1 - t0;
      unpub[s] = System.nanoTime() - t1;
    });
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("cycles", n);
    r.put("publishMs", msPercentiles(pub));
    r.put("unpublishMs", msPercentiles(unpub));
    r.put("cyclesPerSec", PublishBench.round(n / secs));
    r.put("driverCpuMsPerCycle", PublishBench.round2((double) (PublishBench.cpuMs(d.pid()) - cpu0) / n));
    r.put("throttledPeriods", cg.throttling().get("throttled") - thr0.get("throttled"));
    return r;
  }

  /** Page faults that had to read a file (the jar, the AOT cache, libjvm) since the process started. */
  static long majorFaults(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[9]); // majflt (field 12)
  }

  Map<String, Object> idle(Driver d, Cgroup cg) throws Exception {
    long cpu0 = PublishBench.cpuMs(d.pid());
    long t0 = System.nanoTime();
    Pacing.idleFor(Duration.ofSeconds(idleSeconds));
    double secs = (System.nanoTime() - t0) / 1e9;
    long cpu = PublishBench.cpuMs(d.pid()) - cpu0;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("volumes", 250);
    r.put("seconds", PublishBench.round(secs));
    r.put("cpuMs", cpu);
    r.put("mCpu", PublishBench.round(cpu / secs));
    System.out.println("  idle " + r);
    return r;
  }

  /** Cluster mode, rotation on: API requests, provider calls and driver CPU per idle rotation interval. */
  Map<String, Object> rotation(Config c) throws Exception {
    int interval = quick ? 5 : 10;
    int windows = quick ? 2 : 3;
    int n = seq.incrementAndGet();
    Path kubelet = work.resolve("kubelet-" + n);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("config", c.key());
    r.put("volumes", 40);
    r.put("intervalSeconds", interval);
    System.out.println("== rotation: " + c.key() + ", 40 volumes, " + interval + " s interval");
    r.put("error", null);
    try (Cgroup cg = cgroup(n, c.limits());
        Driver d = new Driver(c, cg, kubelet,
            List.of("--enable-secret-rotation=true", "--rotation-poll-interval=" + interval + "s"))) {
      List<Volume> vs = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        vs.add(newVolume(d.pods));
      }
      PublishBench.parallel(vs, 8, v -> publish(d.channel(), v));
      Pacing.idleFor(Duration.ofSeconds(interval + 2)); // every volume's first timer has fired
      api();
      List<Map<String, Object>> ws = new ArrayList<>();
      for (int w = 0; w < windows; w++) {
        providerCommand("reset");
        long cpu0 = PublishBench.cpuMs(d.pid());
        Pacing.idleFor(Duration.ofSeconds(interval));
        Map<String, Object> one = new LinkedHashMap<>();
        Map<String, Integer> requests = api();
        one.put("apiRequests", ApiRequests.total(requests));
        one.put("apiByPath", requests);
        one.put("provider", PublishBench.JSON.readValue(providerCommand("stats"), Map.class));
        one.put("driverCpuMs", PublishBench.cpuMs(d.pid()) - cpu0);
        ws.add(one);
        System.out.println("  rotation window " + w + ": " + one);
      }
      r.put("windows", ws);
      PublishBench.parallel(vs, 8, v -> unpublish(d.channel(), v));
    } catch (Exception e) {
      r.put("error", e.toString());
    } finally {
      Leftovers.unmountUnder(kubelet);
    }
    return r;
  }

  // ---------------------------------------------------------------- readings

  /** /proc and cgroup readings, and with {@code heap} the heap and metaspace from jcmd (a few seconds at 200m). */
  Map<String, Object> snapshot(Launch rt, Driver d, Cgroup cg, boolean heap) throws Exception {
    if (!d.process.isAlive()) {
      throw new IllegalStateException("the driver died (exit " + d.process.exitValue() + ")");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("proc", PublishBench.procStatus(d.pid()));
    m.put("cgroupUsage", cg.memoryUsage());
    m.put("cgroupStat", cg.memoryStat());
    if (heap) {
      m.put("heap", heapInfo(rt, d.pid()));
      if (nmt) {
        m.put("nmtCommittedKiB", nativeMemory(rt, d.pid()));
      }
    }
    m.put("youngGcs", d.youngGcs());
    return m;
  }

  /** With --histogram: the driver's live objects by class ({@code GC.class_histogram}, a full GC) at this volume count. */
  void histogram(Config c, Driver d, int volumes) throws Exception {
    if (histogram) {
      Path file = Path.of(out + "-histo-" + c.key().replace(' ', '-') + "-" + volumes + ".txt");
      Files.createDirectories(file.getParent());
      Files.writeString(file, jcmd(c.runtime(), d.pid(), "GC.class_histogram") + "\n"
          + jcmd(c.runtime(), d.pid(), "GC.heap_info") + "\n" + Files.readString(Path.of("/proc/" + d.pid() + "/status")));
      System.out.println("  histogram: " + file);
    }
  }

  Map<String, Object> oom(Cgroup cg, Driver d) {
    Map<String, Object> m = new LinkedHashMap<>();
    try {
      m.put("oomKills", cg.oomKills());
      m.put("limitHits", cg.limitHits());
      m.put("peakBytes", cg.memoryPeak());
    } catch (IOException e) {
      m.put("error", e.toString());
    }
    if (d != null) {
      m.put("alive", d.process.isAlive());
      if (!d.process.isAlive()) {
        m.put("exit", d.process.exitValue());
      }
    }
    return m;
  }

  /** What the JVM made of the cgroup: its max heap (from the limit) and the CPUs it sees. */
  static Map<String, Object> jvmView(Launch rt, long pid) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String word : jcmd(rt, pid, "VM.flags").split("\\s+")) {
      if (word.startsWith("-XX:MaxHeapSize=")) {
        m.put("maxHeapMiB", Long.parseLong(word.substring(16)) >> 20);
      }
    }
    for (String line : jcmd(rt, pid, "VM.info").split("\n")) {
      if (line.startsWith("active_processor_count:") || line.startsWith("memory_limit_in_bytes:")
          || line.startsWith("cpu_quota:")) {
        String[] kv = line.split(":\\s*", 2);
        m.put(kv[0], kv[1].trim());
      }
    }
    return m;
  }

  static Map<String, Object> heapInfo(Launch rt, long pid) throws Exception {
    long used = 0;
    long committed = 0;
    Map<String, Object> m = new LinkedHashMap<>();
    for (String line : jcmd(rt, pid, "GC.heap_info").split("\n")) {
      var h = PublishBench.HEAP_LINE.matcher(line);
      if (h.find()) {
        committed += Long.parseLong(h.group(2));
        used += Long.parseLong(h.group(3));
      }
    }
    m.put("heapUsedKiB", used);
    m.put("heapCommittedKiB", committed);
    for (String line : jcmd(rt, pid, "VM.metaspace basic").split("\n")) { // "Both: 8.73 MB used." and "... 8.88 MB ( <1%) committed"
      var used2 = BOTH_USED.matcher(line);
      if (used2.find()) {
        m.put("metaspaceUsedKiB", kib(used2.group(1), used2.group(2)));
      }
      var committed2 = BOTH_COMMITTED.matcher(line);
      if (committed2.find()) {
        m.put("metaspaceCommittedKiB", kib(committed2.group(1), committed2.group(2)));
      }
    }
    return m;
  }

  /** Committed KiB by NMT category ({@code jcmd VM.native_memory summary}), e.g. "Java Heap", "Thread", "Shared class space". */
  static Map<String, Object> nativeMemory(Launch rt, long pid) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String line : jcmd(rt, pid, "VM.native_memory summary").split("\n")) {
      var c = NMT_LINE.matcher(line);
      if (c.find()) {
        m.put(c.group(1).trim(), Long.parseLong(c.group(2)));
      } else if (line.startsWith("Total:")) {
        var t = NMT_TOTAL.matcher(line);
        if (t.find()) {
          m.put("Total", Long.parseLong(t.group(1)));
        }
      }
    }
    return m;
  }

  static final java.util.regex.Pattern NMT_LINE =
      java.util.regex.Pattern.compile("^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB");
  static final java.util.regex.Pattern NMT_TOTAL = java.util.regex.Pattern.compile("committed=(\\d+)KB");

  static final java.util.regex.Pattern BOTH_USED =
      java.util.regex.Pattern.compile("^\\s*Both:\\s+([\\d.]+) (KB|MB|GB) used");
  static final java.util.regex.Pattern BOTH_COMMITTED =
      java.util.regex.Pattern.compile("^\\s*Both:.*reserved,\\s+([\\d.]+) (KB|MB|GB) \\(.*\\) committed");

  static long kib(String amount, String unit) {
    double v = Double.parseDouble(amount);
    return Math.round(unit.equals("KB") ? v : unit.equals("MB") ? v * 1024 : v * 1024 * 1024);
  }

  static String jcmd(Launch rt, long pid, String command) throws Exception {
    Process p = new ProcessBuilder(rt.jcmd().toString(), "" + pid, command).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return text;
  }

  Map<String, Integer> api() throws InterruptedException {
    return mock == null ? Map.of() : ApiRequests.drain(mock);
  }

  static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }

  static Map<String, Object> msPercentiles(long[] nanos) {
    long[] s = nanos.clone();
    java.util.Arrays.sort(s);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p50", ms(PublishBench.rank(s, 0.50)));
    m.put("p90", ms(PublishBench.rank(s, 0.90)));
    m.put("p99", ms(PublishBench.rank(s, 0.99)));
    m.put("max", ms(s[s.length - 1]));
    return m;
  }

  // ---------------------------------------------------------------- the driver process

  /**
   * The driver in its cgroup. The constructor returns once GetPluginInfo answered, called as
   * node-driver-registrar calls it: as soon as the socket file exists, with a 1 s deadline, again
   * until it answers (every attempt's latency recorded).
   */
  final class Driver implements AutoCloseable {
    final Process process;
    final Path pods;
    final Path socket;
    final Path log;
    final Path gcLog;
    final Map<String, Object> startup = new LinkedHashMap<>();
    final long socketAt;
    private final RegistrarStart.Started started;
    private final ManagedChannel channel;

    Driver(Config c, Cgroup cg, Path kubelet, List<String> extra) throws Exception {
      pods = Files.createDirectories(kubelet.resolve("pods"));
      log = kubelet.resolve("driver.log");
      socket = kubelet.resolve("plugins/csi.sock");
      Files.createDirectories(socket.getParent());
      gcLog = kubelet.resolve("gc.log");
      List<String> cmd = new ArrayList<>();
      for (String w : c.runtime().prefix()) { // before -jar: a GC log (young collections counted), NMT with --nmt
        if (w.equals("-jar")) {
          cmd.add("-Xlog:gc:file=" + gcLog);
          if (nmt) {
            cmd.add("-XX:NativeMemoryTracking=summary");
          }
        }
        cmd.add(w);
      }
      cmd.add("driver");
      Map<String, String> args = new LinkedHashMap<>(daemonSetArgs);
      args.put("--endpoint", "unix://" + socket);
      args.put("--nodeid", "bench-node");
      args.put("--provider-volume", work.resolve("providers").toString());
      args.put("--additional-provider-volume-paths", "");
      args.put("--metrics-addr", "127.0.0.1:0");
      args.put("--admin-addr", "127.0.0.1:0");
      args.put("--kubelet-dir", kubelet.toString());
      if (c.mode().equals("local")) {
        args.put("--local-classes", work.resolve("classes").toString());
        args.put("--local-state", kubelet.resolve("state").toString());
      } else {
        args.put("--kubeconfig", kubeconfig.toString());
      }
      for (String e : extra) { // --flag=value, replacing the DaemonSet's
        args.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
      }
      args.forEach((k, v) -> cmd.add(k + "=" + v));
      dropPageCache(c.runtime());
      Map<String, Long> thr0 = cg.throttling();
      started = RegistrarStart.launch(cg.wrap(cmd), socket, log, Duration.ofSeconds(180), 16 * 1024 * 1024,
          processes::add);
      process = started.process();
      channel = started.channel();
      socketAt = started.socketAt();
      startup.put("socketFileMs", started.socketFileMs());
      startup.put("getPluginInfoAnsweredMs", started.answeredMs());
      startup.put("cpuMsToAnswer", PublishBench.cpuMs(process.pid()));
      startup.put("loadAvg", Files.readString(Path.of("/proc/loadavg")).trim());
      startup.put("getPluginInfoCalls", started.callMs());
      startup.put("getPluginInfoSlowestMs", Collections.max(started.callMs()));
      startup.put("getPluginInfoOver1s", started.failures().stream().filter(f -> f.equals("DEADLINE_EXCEEDED")).count());
      startup.put("getPluginInfoFailures", started.failures());
      startup.put("throttledPeriodsToAnswer", cg.throttling().get("throttled") - thr0.get("throttled"));
    }

    ManagedChannel channel() {
      return channel;
    }

    /** Young collections so far, from the driver's GC log. */
    long youngGcs() throws IOException {
      try (var lines = Files.lines(gcLog)) {
        return lines.filter(l -> l.contains("Pause Young")).count();
      }
    }

    long pid() {
      return process.pid();
    }

    @Override
    public void close() throws Exception {
      started.stop(Duration.ofSeconds(30));
    }
  }

  /**
   * Drops the page cache of the jar, the class archive and the runtime's libjvm and modules (pages no
   * other process maps), so the driver reads them as on a node that never ran it, and its memory
   * cgroup is charged for them as a container's would be.
   */
  static void dropPageCache(Launch rt) throws Exception {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < rt.prefix().size(); i++) {
      String w = rt.prefix().get(i);
      if (w.equals("-jar")) {
        files.add(Path.of(rt.prefix().get(i + 1)));
      } else if (w.equals("-cp")) {
        for (String jar : rt.prefix().get(i + 1).split(":")) {
          files.add(Path.of(jar));
        }
      } else if (w.startsWith("-XX:AOTCache=") || w.startsWith("-XX:SharedArchiveFile=")) {
        files.add(Path.of(w.substring(w.indexOf('=') + 1)));
      } else if (w.endsWith("/bin/java")) {
        Path home = Path.of(w).getParent().getParent();
        files.add(home.resolve("lib/modules"));
        files.add(home.resolve("lib/server/libjvm.so"));
      }
    }
    for (Path f : files) {
      if (Files.exists(f)) {
        new ProcessBuilder("dd", "if=" + f, "iflag=nocache", "count=0", "status=none").inheritIO().start().waitFor();
      }
    }
  }

  Volume newVolume(Path kubeletPods) {
    int i = seq.incrementAndGet();
    String uid = String.format("00000000-0000-4000-8000-%012d", i);
    Path target = kubeletPods.resolve(uid).resolve("volumes/kubernetes.io~csi/secrets/mount");
    return new Volume(target, KubeletRequests.volumeHandle(uid, "secrets"), uid, "pod-" + i);
  }

  static void publish(ManagedChannel ch, Volume v) {
    ClientCalls.blockingUnaryCall(ch, CsiMethods.NODE_PUBLISH, CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS),
        KubeletRequests.publish(v.target(), v.id(), CLASS, new KubeletRequests.Pod(v.pod(), NS, v.uid(), "default"),
            Optional.empty()));
  }

  static void unpublish(ManagedChannel ch, Volume v) {
    ClientCalls.blockingUnaryCall(ch, CsiMethods.NODE_UNPUBLISH,
        CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS), KubeletRequests.unpublish(v.id(), v.target()));
  }

  // ---------------------------------------------------------------- set-up

  /** The secrets-store container's args in the static DaemonSet, {@code --flag} to value. */
  static Map<String, String> daemonSetArgs(Path yaml) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    for (JsonNode doc : YAML.readerFor(JsonNode.class).<JsonNode>readValues(Files.readString(yaml)).readAll()) {
      for (JsonNode container : doc.path("spec").path("template").path("spec").path("containers")) {
        if (container.path("name").asString().equals("secrets-store")) {
          for (JsonNode arg : container.path("args")) {
            String s = arg.asString();
            if (s.startsWith("--")) {
              int eq = s.indexOf('=');
              m.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "true" : s.substring(eq + 1));
            }
          }
        }
      }
    }
    if (m.isEmpty()) {
      throw new IllegalStateException("no secrets-store container args in " + yaml);
    }
    return m;
  }

  /** The chart's default limits for the driver container. */
  static Limits chartLimits(Path values) throws IOException {
    JsonNode limits = YAML.readTree(Files.readString(values)).path("linux").path("driver").path("resources").path("limits");
    long cpuMillis = Quantity.getAmountInBytes(new Quantity(limits.path("cpu").asString())).movePointRight(3).longValue();
    long memory = Quantity.getAmountInBytes(new Quantity(limits.path("memory").asString())).longValue();
    return new Limits("chart", cpuMillis, memory);
  }

  void startProvider() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-Xmx256m", "-cp", System.getProperty("java.class.path"), ZeroProvider.class.getName(),
        work.resolve("providers").toString(), "zero2:2:32").redirectErrorStream(true)
        .redirectOutput(work.resolve("provider.log").toFile()).start();
    processes.add(p);
    Path socket = work.resolve("providers/zero2.sock");
    io.sscsi.testkit.Await.until("the zero provider's socket; see " + work.resolve("provider.log"),
        Duration.ofSeconds(60), () -> {
          if (!p.isAlive()) {
            throw new IllegalStateException("the zero provider exited; see " + work.resolve("provider.log"));
          }
          return Files.exists(socket);
        });
    provider = UnixChannels.open(socket, 1024 * 1024);
  }

  String providerCommand(String command) {
    return ClientCalls.blockingUnaryCall(provider, ProviderMethods.VERSION,
        CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), // the first connect on a loaded machine
        VersionRequest.newBuilder().setVersion(command).build()).getRuntimeVersion();
  }

  /** Loads and JIT-warms this JVM's client side (gRPC over a unix socket, the CSI messages) before any driver starts. */
  void warmUpClient() {
    for (int i = 0; i < 300; i++) {
      providerCommand("x");
    }
    Volume v = newVolume(work);
    for (int i = 0; i < 1000; i++) {
      CsiMethods.NODE_PUBLISH.streamRequest(KubeletRequests.publish(v.target(), v.id(), CLASS,
          new KubeletRequests.Pod(v.pod(), NS, v.uid(), "default"), Optional.empty()));
      CsiMethods.GET_PLUGIN_INFO.streamRequest(GetPluginInfoRequest.getDefaultInstance());
    }
    Status.fromThrowable(new RuntimeException()); // io.grpc.Status and its codes
  }

  void startMockApiServer() throws Exception {
    mock = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(),
        false);
    mock.init(InetAddress.getByName("127.0.0.1"), 0);
    try (var client = mock.createClient()) {
      Cluster cluster = new Cluster(client);
      cluster.secretProviderClass(NS, CLASS, "zero2", Map.of("objects", "fixed"));
      for (int i = 0; i < 50; i++) { // warms the mock server up before the first driver talks to it
        client.genericKubernetesResources(Cluster.SPC).inNamespace(NS).list();
      }
    }
    kubeconfig = Files.writeString(work.resolve("kubeconfig"), String.join("\n", "apiVersion: v1", "kind: Config",
        "clusters: [{name: mock, cluster: {server: 'http://127.0.0.1:" + mock.getPort() + "'}}]",
        "users: [{name: driver, user: {token: bench}}]",
        "contexts: [{name: mock, context: {cluster: mock, user: driver, namespace: default}}]",
        "current-context: mock", ""));
    api();
  }

  // ---------------------------------------------------------------- cleanup

  private final Object cleanupLock = new Object();

  /** Stops every child, unmounts what is left under the work directory, removes this run's cgroups. */
  void cleanup() {
    synchronized (cleanupLock) {
      Leftovers.stop(processes, Duration.ofSeconds(15));
      Leftovers.unmountUnder(work);
      for (Cgroup g : new ArrayList<>(cgroups)) {
        try {
          g.close();
        } catch (IOException e) {
          System.out.println("cleanup: " + e.getMessage());
        }
      }
      if (provider != null) {
        provider.shutdownNow();
      }
      if (mock != null) {
        mock.destroy();
        mock = null;
      }
    }
  }
}
