package io.sscsi.bench;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The benchmarks' one way to start a CSI server process (the driver, or the start floor) and wait for
 * it as node-driver-registrar does: the socket file is polled for, then GetPluginInfo is called with a
 * 1 s deadline, on a fresh channel each time, until it answers. Every attempt's latency and every
 * failure's code are kept; the start fails when the process exits or {@code limit} passes.
 */
final class RegistrarStart {
  private RegistrarStart() {}

  /**
   * A process that answered GetPluginInfo.
   *
   * @param startedAt {@link System#nanoTime()} just before the process was started
   * @param socketAt {@link System#nanoTime()} when its socket file was first seen
   * @param answeredAt {@link System#nanoTime()} when GetPluginInfo answered
   * @param channel the channel that got the answer (the caller closes it)
   * @param callMs each GetPluginInfo attempt's latency
   * @param failures each failed attempt's status code
   */
  record Started(Process process, ManagedChannel channel, long startedAt, long socketAt, long answeredAt,
      List<Double> callMs, List<String> failures) {
    double socketFileMs() {
      return PodBench.ms(socketAt - startedAt);
    }

    double answeredMs() {
      return PodBench.ms(answeredAt - startedAt);
    }

    /** Closes the channel, then SIGTERM; SIGKILL when the process still runs after {@code grace}. */
    void stop(Duration grace) throws InterruptedException {
      channel.shutdownNow();
      process.destroy();
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * Starts {@code command} with its output (stdout and stderr) in {@code log}, hands the process to
   * {@code track} at once (for the bench's clean-up), and waits for it as the registrar does.
   */
  static Started launch(List<String> command, Path socket, Path log, Duration limit, int maxInboundBytes,
      Consumer<Process> track) throws Exception {
    long t0 = System.nanoTime();
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    track.accept(process);
    while (!Files.exists(socket)) {
      check(process, t0, limit, log);
      Pacing.pollEvery(Duration.ofMillis(1));
    }
    long socketAt = System.nanoTime();
    List<Double> calls = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    while (true) {
      check(process, t0, limit, log);
      ManagedChannel channel = UnixChannels.open(socket, maxInboundBytes);
      long s = System.nanoTime();
      try {
        ClientCalls.blockingUnaryCall(channel, CsiMethods.GET_PLUGIN_INFO,
            CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.SECONDS), GetPluginInfoRequest.getDefaultInstance());
        long answeredAt = System.nanoTime();
        calls.add(PodBench.ms(answeredAt - s));
        return new Started(process, channel, t0, socketAt, answeredAt, calls, failures);
      } catch (StatusRuntimeException e) {
        channel.shutdownNow();
        calls.add(PodBench.ms(System.nanoTime() - s));
        failures.add(e.getStatus().getCode().toString());
        Pacing.pollEvery(Duration.ofMillis(5));
      }
    }
  }

  private static void check(Process process, long t0, Duration limit, Path log) {
    if (!process.isAlive()) {
      throw new IllegalStateException(process.info().command().orElse("the process") + " exited with "
          + process.exitValue() + "; see " + log);
    }
    if (System.nanoTime() - t0 > limit.toNanos()) {
      throw new IllegalStateException("no answer to GetPluginInfo within " + limit.toSeconds() + " s; see " + log);
    }
  }
}
