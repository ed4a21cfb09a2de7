package io.sscsi.bench;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sscsi.cli.KubeletRequests;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.grpc.UnixChannels;
import io.sscsi.provider.ProviderMethods;
import io.sscsi.provider.v1alpha1.VersionRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import tools.jackson.databind.json.JsonMapper;

/**
 * The benchmark (a {@code main}, not a JUnit test): plays kubelet against the real driver, a
 * separate {@code java -jar sscsi.jar driver} process in local mode, with {@link ZeroProvider} as a
 * third process, and measures against the raw-syscall floor ({@code bench/floor.c}) in the same run.
 * Phases: floor, latency (publish/unpublish at concurrency 1, 8, 32 for 2 small files and 20 x 4 KiB),
 * memory (RSS and heap at 0/100/250/1,000/10,000 mounted volumes), startup (process start to
 * GetPluginInfo answering), rotation (250 idle volumes, one rotation interval) and jvm (candidate
 * JVM flag sets compared). Writes {@code <out>.json} and {@code <out>.md}. Run by {@code bench/run.sh}.
 */
public final class PublishBench {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String NS = "bench";

  /** A candidate set of JVM flags for the driver. */
  record Jvm(String name, List<String> flags) {}

  static final List<String> PROVISIONAL = List.of("-XX:MaxRAM=256m", "-XX:MaxRAMPercentage=50", "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=96m",
      "-XX:MaxDirectMemorySize=48m", "-Xss512k", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData");

  static List<String> replace(List<String> flags, Function<String, String> f) {
    return flags.stream().map(f).filter(s -> s != null).toList();
  }

  static List<String> plus(List<String> flags, String... more) {
    List<String> l = new ArrayList<>(flags);
    l.addAll(Arrays.asList(more));
    return l;
  }

  final Path jar;
  final Path floorBinary;
  final Path work;
  final Path out;
  final boolean quick;
  final List<String> phases;
  final String mainJvmName;
  final Map<String, Jvm> jvms = new LinkedHashMap<>();
  final Map<String, Object> results = new LinkedHashMap<>();
  final Map<String, String> args;
  final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger driverSeq = new AtomicInteger();
  final AtomicInteger volumeSeq = new AtomicInteger();
  volatile long providerPid;
  final List<io.sscsi.testkit.Cgroup> cgroups = Collections.synchronizedList(new ArrayList<>());

  PublishBench(Map<String, String> a) {
    args = a;
    jar = Path.of(a.getOrDefault("jar", "target/sscsi.jar")).toAbsolutePath();
    floorBinary = Path.of(a.getOrDefault("floor", "target/bench/floor")).toAbsolutePath();
    work = Path.of(a.get("work")).toAbsolutePath();
    out = Path.of(a.get("out")).toAbsolutePath();
    quick = a.containsKey("quick");
    phases = List.of(a.getOrDefault("phases", "floor,startup,latency,memory,rotation,jvm").split(","));
    Path jsa = work.resolve("sscsi-cds.jsa");
    jvms.put("provisional", new Jvm("provisional", PROVISIONAL));
    jvms.put("serial-c1-64m", new Jvm("serial-c1-64m",
        replace(PROVISIONAL, s -> s.startsWith("-XX:MaxRAMPercentage") ? "-XX:MaxRAMPercentage=25" : s)));
    jvms.put("serial-c1-64m-cds", new Jvm("serial-c1-64m-cds", plus(jvms.get("serial-c1-64m").flags(),
        "-XX:SharedArchiveFile=" + jsa)));
    jvms.put("serial-c2-64m", new Jvm("serial-c2-64m",
        replace(jvms.get("serial-c1-64m").flags(), s -> s.startsWith("-XX:TieredStopAtLevel") ? null : s)));
    jvms.put("serial-c1-48m-fixed", new Jvm("serial-c1-48m-fixed",
        replace(PROVISIONAL, x -> x.startsWith("-XX:MaxRAMPercentage") ? "-Xms48m -Xmx48m" : x).stream()
            .flatMap(x -> Arrays.stream(x.split(" "))).toList()));
    jvms.put("g1-default", new Jvm("g1-default", List.of("-XX:MaxRAM=256m")));
    mainJvmName = a.getOrDefault("main-jvm", "provisional");
    if (a.containsKey("driver-flags")) { // e.g. --driver-flags="-XX:StartFlightRecording=filename=/tmp/d.jfr"
      Jvm m = jvms.get(mainJvmName);
      jvms.put(mainJvmName, new Jvm(m.name(), plus(m.flags(), a.get("driver-flags").trim().split("\\s+"))));
    }
  }

  public static void main(String[] args) throws Exception {
    PublishBench bench = new PublishBench(BenchMain.args(args));
    BenchMain.runAndExit("bench-cleanup", bench::cleanup, bench::run);
  }

  void run() throws Exception {
    Files.createDirectories(work);
    setUpClasses();
    results.put("machine", machine());
    results.put("mainJvm", Map.of("name", mainJvmName, "flags", jvms.get(mainJvmName).flags()));
    if (phases.contains("floor")) {
      results.put("floor", floor());
    }
    try (Provider provider = startProvider()) {
      if (phases.contains("startup")) {
        results.put("startup", startup(jvms.get(mainJvmName), quick ? 3 : 7));
      }
      if (phases.contains("latency")) {
        results.put("latency", latency(provider));
      }
      if (phases.contains("cpu")) {
        results.put("cpu", cpuPerCycle());
      }
      if (phases.contains("memory")) {
        results.put("memory", memory(provider));
      }
      if (phases.contains("rotation")) {
        results.put("rotation", rotation(provider));
      }
      if (phases.contains("jvm")) {
        results.put("jvm", jvmMatrix(provider));
      }
    }
    results.put("loadAvgEnd", Files.readString(Path.of("/proc/loadavg")).trim());
    Files.createDirectories(out.getParent());
    Files.writeString(Path.of(out + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results));
    String table = Report.markdown(results);
    Files.writeString(Path.of(out + ".md"), table);
    System.out.println(table);
    System.out.println("results: " + out + ".json and " + out + ".md");
  }

  // ---------------------------------------------------------------- set-up

  void setUpClasses() throws IOException {
    Path classes = Files.createDirectories(work.resolve("classes"));
    for (String[] c : new String[][] {{"small", "zero2"}, {"big", "zero20"}}) {
      Files.writeString(classes.resolve(c[0] + ".yaml"), """
          apiVersion: secrets-store.csi.x-k8s.io/v1
          kind: SecretProviderClass
          metadata:
            name: %s
            namespace: %s
          spec:
            provider: %s
            parameters:
              objects: fixed
          """.formatted(c[0], NS, c[1]));
    }
    Files.createDirectories(work.resolve("providers"));
    Files.createDirectories(work.resolve("targets"));
  }

  static Map<String, Object> machine() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nproc", Runtime.getRuntime().availableProcessors());
    m.put("cpu", Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
        .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?"));
    m.put("memTotal", Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " "));
    m.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    m.put("loadAvgStart", Files.readString(Path.of("/proc/loadavg")).trim());
    m.put("date", LocalDateTime.now().toString());
    return m;
  }

  // ---------------------------------------------------------------- floor

  Map<String, Object> floor() throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    Path dir = Files.createDirectories(work.resolve("floor"));
    for (int[] shape : new int[][] {{2, 32}, {20, 4096}}) {
      for (int c : new int[] {1, 8, 32}) {
        int perThread = Math.max(50, (quick ? 1000 : 3000) / c);
        Process p = new ProcessBuilder(floorBinary.toString(), dir.toString(), "" + shape[0], "" + shape[1],
            "" + perThread, "" + c).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
          throw new IllegalStateException("floor failed: " + json);
        }
        r.put(key(shape[0], c), JSON.readValue(json, Map.class));
        System.out.println("floor " + key(shape[0], c) + " " + json.trim());
      }
    }
    return r;
  }

  static String key(int files, int c) {
    return (files == 2 ? "2x32B" : "20x4KiB") + "/c" + c;
  }

  // ---------------------------------------------------------------- processes

  final class Provider implements AutoCloseable {
    final Process process;
    final ManagedChannel channel;

    Provider() throws Exception {
      List<String> cmd = new ArrayList<>(List.of(java(), "-XX:+UseSerialGC", "-Xmx256m", "-cp",
          System.getProperty("java.class.path"), ZeroProvider.class.getName(), work.resolve("providers").toString(),
          "zero2:2:32", "zero20:20:4096"));
      process = start(cmd, work.resolve("provider.log"));
      Path socket = work.resolve("providers/zero2.sock");
      Process started = process;
      io.sscsi.testkit.Await.until("the zero provider's sockets; see " + work.resolve("provider.log"),
          Duration.ofSeconds(30), () -> {
            if (!started.isAlive()) {
              throw new IllegalStateException("the zero provider exited; see " + work.resolve("provider.log"));
            }
            return Files.exists(socket) && Files.exists(work.resolve("providers/zero20.sock"));
          });
      channel = UnixChannels.open(socket, 1024 * 1024);
      providerPid = process.pid();
    }

    /** {@code reset} or {@code stats}. */
    String command(String command) {
      return ClientCalls.blockingUnaryCall(channel, ProviderMethods.VERSION,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          VersionRequest.newBuilder().setVersion(command).build()).getRuntimeVersion();
    }

    @Override
    public void close() {
      channel.shutdownNow();
      process.destroy();
    }
  }

  Provider startProvider() throws Exception {
    return new Provider();
  }

  /** {@code java <jvm flags> <extra flags> -jar <jar>}, with this JVM's {@code java}. */
  static List<String> jvmPrefix(Path driverJar, Jvm jvm, List<String> extraFlags) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(jvm.flags());
    cmd.addAll(extraFlags);
    cmd.addAll(List.of("-jar", driverJar.toString()));
    return cmd;
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  Process start(List<String> cmd, Path log) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  /** A driver process in local mode; {@code startupMs} is process start to GetPluginInfo answering. */
  final class Driver implements AutoCloseable {
    final int n = driverSeq.incrementAndGet();
    final Path socket = work.resolve("csi-" + n + ".sock");
    final Path log = work.resolve("driver-" + n + ".log");
    final RegistrarStart.Started started;
    final Process process;
    final double socketFileMs;
    final double startupMs;
    final ManagedChannel channel;

    Driver(Jvm jvm, List<String> extraFlags) throws Exception {
      this(jar, jvm, extraFlags);
    }

    Driver(Path driverJar, Jvm jvm, List<String> extraFlags) throws Exception {
      this(jvmPrefix(driverJar, jvm, extraFlags), Optional.empty());
    }

    /**
     * {@code prefix}: the command up to and including {@code -jar <jar>} (e.g. {@code deploy/hack/local-runtime.sh}'s
     * line); with a cgroup, the process runs in it from its first instruction.
     */
    Driver(List<String> prefix, Optional<io.sscsi.testkit.Cgroup> cgroup) throws Exception {
      int jarAt = prefix.lastIndexOf("-jar");
      if (jarAt < 0) {
        throw new IllegalArgumentException("no -jar in the driver's command prefix " + prefix);
      }
      List<String> cmd = new ArrayList<>(prefix.subList(0, jarAt));
      cmd.add("-Dsscsi.driver.metrics-addr=127.0.0.1:0");
      cmd.add("-Dsscsi.driver.admin-addr=127.0.0.1:0");
      cmd.addAll(prefix.subList(jarAt, prefix.size()));
      cmd.addAll(List.of("driver", "--endpoint", "unix://" + socket, "--nodeid", "bench-node",
          "--local-classes", work.resolve("classes").toString(), "--local-state", work.resolve("state-" + n).toString(),
          "--provider-volume", work.resolve("providers").toString(), "--additional-provider-volume-paths", ""));
      started = RegistrarStart.launch(cgroup.map(g -> g.wrap(cmd)).orElse(cmd), socket, log, Duration.ofSeconds(60),
          16 * 1024 * 1024, processes::add);
      process = started.process();
      channel = started.channel();
      socketFileMs = started.socketFileMs();
      startupMs = started.answeredMs();
    }

    long pid() {
      return process.pid();
    }

    <Q, R> void call(MethodDescriptor<Q, R> method, Q request) {
      ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS),
          request);
    }

    @Override
    public void close() throws Exception {
      started.stop(Duration.ofSeconds(10));
    }
  }

  // ---------------------------------------------------------------- volumes

  /** One pod volume as kubelet would publish it. */
  record Volume(Path target, String id, String className, String uid) {}

  Volume newVolume(Path dir, String className) {
    int i = volumeSeq.incrementAndGet();
    String uid = String.format("00000000-0000-4000-8000-%012d", i);
    return new Volume(dir.resolve("v" + i), KubeletRequests.volumeHandle(uid, "secrets"), className, uid);
  }

  static void publish(Driver d, Volume v) {
    d.call(CsiMethods.NODE_PUBLISH, KubeletRequests.publish(v.target(), v.id(), v.className(),
        new KubeletRequests.Pod("pod-" + v.uid().substring(24), NS, v.uid(), "default"), Optional.empty()));
  }

  static void unpublish(Driver d, Volume v) {
    d.call(CsiMethods.NODE_UNPUBLISH, KubeletRequests.unpublish(v.id(), v.target()));
  }

  /** Runs {@code task} over items with {@code c} threads; returns the wall time in seconds. */
  static <T> double parallel(List<T> items, int c, java.util.function.Consumer<T> task) throws Exception {
    ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>(items);
    ExecutorService pool = Executors.newFixedThreadPool(c);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long t0 = System.nanoTime();
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < c; i++) {
      fs.add(pool.submit(() -> {
        T item;
        while (failure.get() == null && (item = queue.poll()) != null) {
          try {
            task.accept(item);
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          }
        }
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    if (failure.get() != null) {
      throw new IllegalStateException("a call failed: " + failure.get(), failure.get());
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** c workers, each publishing then unpublishing a fresh volume, {@code cycles} in all. */
  Map<String, Object> cycles(Driver d, String className, int c, int cycles) throws Exception {
    Path dir = Files.createDirectories(work.resolve("targets").resolve("run-" + volumeSeq.get()));
    List<Volume> volumes = new ArrayList<>();
    for (int i = 0; i < cycles; i++) {
      volumes.add(newVolume(dir, className));
    }
    long[] pub = new long[cycles];
    long[] unpub = new long[cycles];
    AtomicInteger slot = new AtomicInteger();
    long cpu0 = cpuMs(d.pid());
    long providerCpu0 = providerPid > 0 ? cpuMs(providerPid) : 0;
    long selfCpu0 = cpuMs(ProcessHandle.current().pid());
    double secs = parallel(volumes, c, v -> {
      long t0 = System.nanoTime();
      publish(d, v);
      long t1 = System.nanoTime();
      unpublish(d, v);
      long t2 = System.nanoTime();
      int s = slot.getAndIncrement();
      pub[s] = t1 - t0;
      unpub[s] = t2 - t1;
    });
    long cpu1 = cpuMs(d.pid());
    long providerCpu = providerPid > 0 ? cpuMs(providerPid) - providerCpu0 : 0;
    long selfCpu = cpuMs(ProcessHandle.current().pid()) - selfCpu0;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("cycles", cycles);
    r.put("concurrency", c);
    r.put("publishUs", percentiles(pub));
    r.put("unpublishUs", percentiles(unpub));
    r.put("cyclesPerSec", round(cycles / secs));
    r.put("driverCpuMsPerCycle", round2((double) (cpu1 - cpu0) / cycles));
    r.put("providerCpuMsPerCycle", round2((double) providerCpu / cycles));
    r.put("kubeletSideCpuMsPerCycle", round2((double) selfCpu / cycles));
    return r;
  }

  static Map<String, Object> percentiles(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p50", round(rank(s, 0.50) / 1e3));
    m.put("p99", round(rank(s, 0.99) / 1e3));
    m.put("max", round(s[s.length - 1] / 1e3));
    return m;
  }

  static long rank(long[] sorted, double p) {
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  // ---------------------------------------------------------------- phases

  Map<String, Object> startup(Jvm jvm, int runs) throws Exception {
    List<Double> ready = new ArrayList<>();
    List<Double> file = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      try (Driver d = new Driver(jvm, List.of())) {
        ready.add(round(d.startupMs));
        file.add(round(d.socketFileMs));
      }
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("jvm", jvm.name());
    r.put("runs", runs);
    r.put("readyMs", ready);
    r.put("readyMsMedian", median(ready));
    r.put("socketFileMsMedian", median(file));
    System.out.println("startup " + jvm.name() + " " + r);
    return r;
  }

  static double median(List<Double> l) {
    List<Double> s = new ArrayList<>(l);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  Map<String, Object> latency(Provider provider) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    try (Driver d = new Driver(jvms.get(mainJvmName), List.of())) {
      cycles(d, "small", 8, quick ? 500 : 2000); // warm-up, not recorded
      cycles(d, "big", 8, quick ? 200 : 1000);
      for (String cls : List.of("small", "big")) {
        int files = cls.equals("small") ? 2 : 20;
        for (int c : new int[] {1, 8, 32}) {
          int n = quick ? (c == 1 ? 300 : 1000) : (c == 1 ? 1000 : 4000);
          Map<String, Object> one = cycles(d, cls, c, n);
          r.put(key(files, c), one);
          System.out.println("latency " + key(files, c) + " " + one);
        }
      }
      r.put("driverStatusAfter", procStatus(d.pid()));
    }
    return r;
  }

  /**
   * Driver CPU per publish+unpublish cycle (2 small files, c=8) for this jar and, with {@code --jar-b},
   * another one: both drivers run side by side (the idle one costs next to nothing) and rounds alternate
   * A, B, A, B, so load from outside hits both alike. Per round: CPU per cycle by thread group and the
   * machine's busy CPU outside the driver, the provider and this process (others' load).
   */
  Map<String, Object> cpuPerCycle() throws Exception {
    int rounds = Integer.parseInt(args.getOrDefault("cpu-rounds", "6"));
    int n = Integer.parseInt(args.getOrDefault("cpu-cycles", "1000"));
    int warmUp = Integer.parseInt(args.getOrDefault("cpu-warmup", quick ? "1000" : "3000"));
    // Each side is a jar run by this JVM's java with the main JVM's flags, or (--runtime=FILE, --runtime-b=FILE)
    // a command prefix up to `-jar <jar>` as deploy/hack/local-runtime.sh prints it: the shipped runtime.
    Map<String, List<String>> prefixes = new LinkedHashMap<>();
    prefixes.put("A", side("runtime", "jar", jar));
    if (args.containsKey("jar-b") || args.containsKey("runtime-b")) {
      prefixes.put("B", side("runtime-b", "jar-b", null));
    }
    // --cpu-limit-millis=200: each driver in a cgroup of its own with that CPU quota (--mem-limit-mib, default 256);
    // --cpu-limit-only=A: only A's (B unlimited: what the quota itself does to the same runtime)
    Optional<Long> cpuLimit = Optional.ofNullable(args.get("cpu-limit-millis")).map(Long::parseLong);
    long memLimit = Long.parseLong(args.getOrDefault("mem-limit-mib", "256")) << 20;
    Map<String, Driver> drivers = new LinkedHashMap<>();
    Map<String, io.sscsi.testkit.Cgroup> groupOf = new LinkedHashMap<>();
    Map<String, Object> r = new LinkedHashMap<>();
    cpuLimit.ifPresent(c -> r.put("cpuLimitMillis", c));
    try {
      for (Map.Entry<String, List<String>> j : prefixes.entrySet()) {
        Optional<io.sscsi.testkit.Cgroup> g = Optional.empty();
        if (cpuLimit.isPresent() && args.getOrDefault("cpu-limit-only", j.getKey()).equals(j.getKey())) {
          io.sscsi.testkit.Cgroup cg = io.sscsi.testkit.Cgroup.create(
              args.getOrDefault("cgroup-prefix", "sscsi-cpu-" + ProcessHandle.current().pid()) + "-" + j.getKey(),
              cpuLimit.get(), memLimit);
          cgroups.add(cg);
          groupOf.put(j.getKey(), cg);
          g = Optional.of(cg);
        }
        Driver d = new Driver(j.getValue(), g);
        drivers.put(j.getKey(), d);
        Map<String, Long> t0 = ThreadCpu.byGroup(d.pid());
        long startCpu = cpuMs(d.pid());
        Map<String, Object> w = cycles(d, "small", 8, warmUp); // warm-up: the JIT has compiled the path
        Map<String, Object> wr = new LinkedHashMap<>();
        wr.put("cycles", warmUp);
        wr.put("startCpuMs", startCpu);
        wr.put("driverCpuMsPerCycle", w.get("driverCpuMsPerCycle"));
        wr.put("threadGroupsMsPerCycle", perCycle(ThreadCpu.minus(ThreadCpu.byGroup(d.pid()), t0), warmUp));
        r.put(j.getKey() + "-warmUp", wr);
        System.out.println("cpu warm-up " + j.getKey() + " " + wr);
        r.put(j.getKey() + "-command", String.join(" ", j.getValue()));
      }
      Map<String, List<Double>> perCycle = new LinkedHashMap<>();
      Map<String, List<Double>> wakeUps = new LinkedHashMap<>();
      List<Map<String, Object>> all = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        for (Map.Entry<String, Driver> e : drivers.entrySet()) {
          Driver d = e.getValue();
          Map<String, Long> t0 = ThreadCpu.byGroup(d.pid());
          Map<String, Long> s0 = ThreadCpu.switchesByGroup(d.pid());
          long busy0 = ThreadCpu.machineBusyMs();
          long self0 = cpuMs(ProcessHandle.current().pid());
          long prov0 = cpuMs(providerPid);
          long other0 = drivers.values().stream().filter(o -> o != d).mapToLong(o -> uncheckedCpuMs(o.pid())).sum();
          Map<String, Object> one = cycles(d, "small", 8, n);
          long busy = ThreadCpu.machineBusyMs() - busy0;
          Map<String, Long> groups = ThreadCpu.minus(ThreadCpu.byGroup(d.pid()), t0);
          Map<String, Long> switches = ThreadCpu.minus(ThreadCpu.switchesByGroup(d.pid()), s0);
          long tree = groups.values().stream().mapToLong(Long::longValue).sum()
              + cpuMs(ProcessHandle.current().pid()) - self0 + cpuMs(providerPid) - prov0
              + drivers.values().stream().filter(o -> o != d).mapToLong(o -> uncheckedCpuMs(o.pid())).sum() - other0;
          Map<String, Object> round = new LinkedHashMap<>();
          round.put("jar", e.getKey());
          round.put("driverCpuMsPerCycle", one.get("driverCpuMsPerCycle"));
          round.put("cyclesPerSec", one.get("cyclesPerSec"));
          round.put("publishP50Us", ((Map<?, ?>) one.get("publishUs")).get("p50"));
          round.put("threadGroupsMsPerCycle", perCycle(groups, n));
          // voluntary switches: the thread blocked, so each is one wake-up later; involuntary: preempted
          round.put("wakeUpsPerCycle", round2((double) ThreadCpu.total(switches, " vol") / n));
          round.put("preemptionsPerCycle", round2((double) ThreadCpu.total(switches, " invol") / n));
          round.put("switchesPerCycleByGroup", perCycle(switches, n));
          if (groupOf.containsKey(e.getKey())) {
            round.put("throttledPeriodsSoFar", groupOf.get(e.getKey()).throttling().get("throttled"));
          }
          double wallMs = n / (double) one.get("cyclesPerSec") * 1000;
          // CPU busy outside the bench's processes (others' work, plus kernel threads the mounts wake), % of one CPU
          round.put("othersCpuPercent", round(100.0 * Math.max(0, busy - tree) / wallMs));
          round.put("loadAvg", Files.readString(Path.of("/proc/loadavg")).trim());
          perCycle.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add((Double) one.get("driverCpuMsPerCycle"));
          wakeUps.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add((Double) round.get("wakeUpsPerCycle"));
          all.add(round);
          System.out.println("cpu " + round);
        }
      }
      r.put("rounds", all);
      Map<String, Object> medians = new LinkedHashMap<>();
      perCycle.forEach((k, v) -> medians.put(k, median(v)));
      r.put("medianDriverCpuMsPerCycle", medians);
      System.out.println("cpu median driver CPU ms per cycle " + medians);
      Map<String, Object> wakeMedians = new LinkedHashMap<>();
      wakeUps.forEach((k, v) -> wakeMedians.put(k, median(v)));
      r.put("medianWakeUpsPerCycle", wakeMedians);
      System.out.println("cpu median driver wake-ups (voluntary context switches) per cycle " + wakeMedians);
      if (perCycle.size() == 2) { // each B round against the A round just before it: load drifts less within a pair
        List<Double> a = perCycle.get("A");
        List<Double> b = perCycle.get("B");
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
          ratios.add(round2(b.get(i) / a.get(i)));
        }
        r.put("pairedRatiosBOverA", ratios);
        r.put("medianRatioBOverA", median(ratios));
        System.out.println("cpu B/A per pair " + ratios + ", median " + median(ratios));
      }
    } finally {
      for (Driver d : drivers.values()) {
        d.close();
      }
    }
    return r;
  }

  /** The command prefix of one side of the cpu phase: a file holding it ({@code --<runtimeKey>}) or the jar ({@code --<jarKey>}). */
  List<String> side(String runtimeKey, String jarKey, Path defaultJar) throws IOException {
    if (args.containsKey(runtimeKey)) {
      return List.of(Files.readString(Path.of(args.get(runtimeKey))).trim().split("\\s+"));
    }
    Path j = args.containsKey(jarKey) ? Path.of(args.get(jarKey)).toAbsolutePath() : defaultJar;
    return jvmPrefix(j, jvms.get(mainJvmName), List.of());
  }

  static Map<String, Object> perCycle(Map<String, Long> groups, int n) {
    Map<String, Object> g = new LinkedHashMap<>();
    groups.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(x -> g.put(x.getKey(), round2((double) x.getValue() / n)));
    return g;
  }

  static long uncheckedCpuMs(long pid) {
    try {
      return cpuMs(pid);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  Map<String, Object> memory(Provider provider) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    try (Driver d = new Driver(jvms.get(mainJvmName), List.of())) {
      Path dir = Files.createDirectories(work.resolve("targets").resolve("memory"));
      List<Volume> mounted = new ArrayList<>();
      Pacing.settle(Duration.ofSeconds(3)); // the first snapshot, after the start
      r.put("0", snapshot(d.pid()));
      int[] levels = quick ? new int[] {100, 250, 1000} : new int[] {100, 250, 1000, 10000};
      for (int level : levels) {
        List<Volume> batch = new ArrayList<>();
        while (mounted.size() + batch.size() < level) {
          batch.add(newVolume(dir, "small"));
        }
        double secs = parallel(batch, 32, v -> publish(d, v));
        mounted.addAll(batch);
        Pacing.settle(Pacing.SNAPSHOT_SETTLE);
        Map<String, Object> snap = snapshot(d.pid());
        snap.put("publishSeconds", round(secs));
        r.put("" + level, snap);
        System.out.println("memory " + level + " " + snap);
        if (level == 250) {
          long cpu0 = cpuMs(d.pid());
          Pacing.idleFor(Duration.ofSeconds(10));
          r.put("idleCpuMsPer10sAt250RotationOff", cpuMs(d.pid()) - cpu0);
        }
      }
      double secs = parallel(mounted, 32, v -> unpublish(d, v));
      r.put("unpublishAllSeconds", round(secs));
      r.put("unpublishAllCount", mounted.size());
      System.out.println("memory: unpublished " + mounted.size() + " in " + round(secs) + " s");
    }
    return r;
  }

  Map<String, Object> rotation(Provider provider) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    int intervalS = 10;
    int windows = quick ? 2 : 3;
    try (Driver d = new Driver(jvms.get(mainJvmName), List.of("-Dsscsi.driver.enable-secret-rotation=true",
        "-Dsscsi.driver.rotation-poll-interval=" + intervalS + "s"))) {
      Path dir = Files.createDirectories(work.resolve("targets").resolve("rotation"));
      List<Volume> mounted = new ArrayList<>();
      for (int i = 0; i < 250; i++) {
        mounted.add(newVolume(dir, "small"));
      }
      parallel(mounted, 32, v -> publish(d, v));
      Pacing.idleFor(Duration.ofSeconds(intervalS + 5)); // every volume's first timer has fired once
      List<Map<String, Object>> ws = new ArrayList<>();
      for (int w = 0; w < windows; w++) {
        provider.command("reset");
        long cpu0 = cpuMs(d.pid());
        Pacing.idleFor(Duration.ofSeconds(intervalS));
        long cpu = cpuMs(d.pid()) - cpu0;
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("cpuMs", cpu);
        one.put("provider", JSON.readValue(provider.command("stats"), Map.class));
        ws.add(one);
        System.out.println("rotation window " + w + " " + one);
      }
      r.put("volumes", 250);
      r.put("intervalSeconds", intervalS);
      r.put("windows", ws);
      r.put("apiRequests", "0 by construction (local mode has no API client)");
      r.put("status", procStatus(d.pid()));
      parallel(mounted, 32, v -> unpublish(d, v));
    }
    return r;
  }

  Map<String, Object> jvmMatrix(Provider provider) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    trainCds(provider);
    for (Jvm jvm : jvms.values()) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("flags", jvm.flags());
      one.put("startup", startup(jvm, quick ? 3 : 5));
      try (Driver d = new Driver(jvm, List.of())) {
        Pacing.settle(Pacing.SNAPSHOT_SETTLE);
        one.put("rss0KiB", procStatus(d.pid()).get("VmRSS"));
        cycles(d, "small", 8, quick ? 300 : 1000); // warm-up
        one.put("small/c8", cycles(d, "small", 8, quick ? 1000 : 3000));
        one.put("big/c32", cycles(d, "big", 32, quick ? 1000 : 3000));
        Path dir = Files.createDirectories(work.resolve("targets").resolve("jvm-" + jvm.name()));
        List<Volume> mounted = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
          mounted.add(newVolume(dir, "small"));
        }
        parallel(mounted, 32, v -> publish(d, v));
        Pacing.settle(Pacing.SNAPSHOT_SETTLE);
        one.put("at250", snapshot(d.pid()));
        parallel(mounted, 32, v -> unpublish(d, v));
      }
      System.out.println("jvm " + jvm.name() + " " + one);
      r.put(jvm.name(), one);
    }
    return r;
  }

  /** Records a dynamic CDS archive from a driver that started, served cycles and exited. */
  void trainCds(Provider provider) throws Exception {
    Path jsa = work.resolve("sscsi-cds.jsa");
    Jvm base = jvms.get("serial-c1-64m");
    try (Driver d = new Driver(base, List.of("-XX:ArchiveClassesAtExit=" + jsa))) {
      cycles(d, "small", 8, 200);
      cycles(d, "big", 8, 100);
    }
    if (!Files.exists(jsa)) {
      throw new IllegalStateException("no CDS archive was written to " + jsa);
    }
  }

  // ---------------------------------------------------------------- /proc and jcmd

  static long cpuMs(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
    return ticks * 10; // USER_HZ 100
  }

  static Map<String, Object> procStatus(long pid) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      String[] kv = line.split(":\\s+", 2);
      if (List.of("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads").contains(kv[0])) {
        m.put(kv[0], Long.parseLong(kv[1].replace(" kB", "").trim()));
      }
    }
    return m;
  }

  /** RSS (from /proc) and heap (from jcmd) as found, then the live heap after a full GC. */
  static Map<String, Object> snapshot(long pid) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", procStatus(pid));
    m.put("heap", heapInfo(pid));
    jcmd(pid, "GC.run");
    m.put("heapAfterFullGc", heapInfo(pid));
    m.put("statusAfterFullGc", procStatus(pid));
    return m;
  }

  static String jcmd(long pid, String command) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), "" + pid,
        command).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return text;
  }

  static final java.util.regex.Pattern HEAP_LINE = java.util.regex.Pattern.compile(
      "^\\s*(def new generation|tenured generation|DefNew|Tenured|garbage-first heap|PSYoungGen|ParOldGen)\\s+total (\\d+)K, used (\\d+)K");
  static final java.util.regex.Pattern META_LINE = java.util.regex.Pattern.compile(
      "^\\s*Metaspace\\s+used (\\d+)K, committed (\\d+)K");

  /** Heap used and committed in KiB (all generations), metaspace used and committed, from GC.heap_info. */
  static Map<String, Object> heapInfo(long pid) throws Exception {
    long used = 0;
    long committed = 0;
    Map<String, Object> m = new LinkedHashMap<>();
    for (String line : jcmd(pid, "GC.heap_info").split("\n")) {
      java.util.regex.Matcher h = HEAP_LINE.matcher(line);
      if (h.find()) {
        committed += Long.parseLong(h.group(2));
        used += Long.parseLong(h.group(3));
      }
      java.util.regex.Matcher meta = META_LINE.matcher(line);
      if (meta.find()) {
        m.put("metaspaceUsedKiB", Long.parseLong(meta.group(1)));
        m.put("metaspaceCommittedKiB", Long.parseLong(meta.group(2)));
      }
    }
    m.put("heapUsedKiB", used);
    m.put("heapCommittedKiB", committed);
    return m;
  }

  // ---------------------------------------------------------------- cleanup

  private final Object cleanupLock = new Object();

  /** Stops every child, then unmounts whatever is still mounted under the work directory. */
  void cleanup() {
    synchronized (cleanupLock) {
      Leftovers.stop(processes, Duration.ofSeconds(10));
      int left = Leftovers.unmountUnder(work);
      if (left > 0) {
        System.out.println("cleanup: unmounted " + left + " leftover mount(s) under " + work);
      }
      for (io.sscsi.testkit.Cgroup g : new ArrayList<>(cgroups)) {
        try {
          g.close();
        } catch (IOException | RuntimeException e) {
          System.out.println("cleanup: cgroup " + g.name + ": " + e.getMessage());
        }
      }
      cgroups.clear();
    }
  }
}
