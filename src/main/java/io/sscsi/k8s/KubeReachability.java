package io.sscsi.k8s;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Whether the API server answers, for {@code /readyz}: a background thread asks for the server's
 * version every {@code every} and keeps the answer, so a readiness probe never waits on the network.
 */
public final class KubeReachability implements AutoCloseable {
  private final KubeConnection connection;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "sscsi-api-reachability");
    t.setDaemon(true);
    return t;
  });
  private volatile Optional<String> problem = Optional.of("not checked yet");

  public KubeReachability(KubeConnection connection, Duration every) {
    this.connection = connection;
    timer.scheduleWithFixedDelay(this::check, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void check() {
    try {
      connection.client().getKubernetesVersion();
      problem = Optional.empty();
    } catch (RuntimeException e) {
      problem = Optional.of("API server " + connection.masterUrl() + " not reachable: " + e.getClass().getSimpleName());
    }
  }

  /** Empty when the last check reached the API server. */
  public Optional<String> problem() {
    return problem;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
