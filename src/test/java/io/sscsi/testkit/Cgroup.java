package io.sscsi.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A CPU and memory limit for a child process, as a container runtime sets one for a pod: cgroup v1
 * ({@code cpu.cfs_quota_us} over a 100 ms period, {@code memory.limit_in_bytes}) where the v1
 * controllers are mounted, cgroup v2 ({@code cpu.max}, {@code memory.max}) otherwise. Root only.
 * {@link #wrap} returns a command that joins the cgroup and then execs the given one.
 */
public final class Cgroup implements AutoCloseable {
  private static final Path V1 = Path.of("/sys/fs/cgroup");
  private static final Path V2 = Path.of("/sys/fs/cgroup");
  private final List<Path> dirs;

  private Cgroup(List<Path> dirs) {
    this.dirs = dirs;
  }

  /** Whether this machine lets the test create a limited cgroup. */
  public static boolean available() {
    return "root".equals(System.getProperty("user.name"))
        && (Files.isWritable(V1.resolve("cpu")) && Files.isWritable(V1.resolve("memory"))
            || Files.exists(V2.resolve("cgroup.controllers")));
  }

  public static Cgroup create(int milliCpu, long memoryBytes) throws IOException {
    String name = "sscsi-test-" + UUID.randomUUID();
    long quota = milliCpu * 100L;
    if (Files.isDirectory(V1.resolve("cpu")) && Files.isDirectory(V1.resolve("memory"))) {
      Path cpu = Files.createDirectory(V1.resolve("cpu").resolve(name));
      Path memory = Files.createDirectory(V1.resolve("memory").resolve(name));
      Files.writeString(cpu.resolve("cpu.cfs_period_us"), "100000");
      Files.writeString(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
      Files.writeString(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
      return new Cgroup(List.of(cpu, memory));
    }
    Path group = Files.createDirectory(V2.resolve(name));
    Files.writeString(group.resolve("cpu.max"), quota + " 100000");
    Files.writeString(group.resolve("memory.max"), Long.toString(memoryBytes));
    return new Cgroup(List.of(group));
  }

  /** {@code command}, run by a shell that first moves itself into this cgroup. */
  public List<String> wrap(List<String> command) {
    StringBuilder join = new StringBuilder();
    for (Path dir : dirs) {
      join.append("echo $$ > '").append(dir.resolve("cgroup.procs")).append("' && ");
    }
    List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", join + "exec \"$@\"", "sh"));
    wrapped.addAll(command);
    return wrapped;
  }

  /** Kills what is left in the cgroup, waits for it to exit, and removes the cgroup. */
  @Override
  public void close() throws IOException {
    List<ProcessHandle> left = new ArrayList<>();
    for (Path dir : dirs) {
      for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(left::add);
      }
    }
    for (ProcessHandle p : left) {
      p.destroyForcibly();
      try {
        p.onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IOException("process " + p.pid() + " in " + dirs + " did not exit", e);
      }
    }
    for (Path dir : dirs) {
      Files.delete(dir);
    }
  }
}
