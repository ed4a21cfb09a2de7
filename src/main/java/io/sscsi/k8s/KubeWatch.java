package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Store;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One of the driver's informers with the restart policy it needs: fabric8 gives up on an informer
 * whose first list fails ("will stop"), so a driver started before its API server was reachable
 * would never watch anything. Here every failure, at start or when a watch cannot be re-established
 * later, is retried with fabric8's exponential backoff (the client's watch reconnect interval,
 * doubling, at most 32 times it) until the informer runs. The informer's own state is the driver's
 * view of the API server: {@link #problem()} is empty while the watch connection is up, and names
 * the last failure while it is not, without a request of its own. fabric8 re-watches after the API
 * server's watch timeouts and lists again after 410 Gone; neither is a problem. A refused watch (401,
 * 403) is retried too, and is a problem when the watch is {@code required}. RBAC that may be missing
 * by design (list/watch on Secrets comes with the optional syncing role) is not: such a watch is
 * retried {@value #MAX_REFUSED} times (about half a minute, long enough for a ClusterRoleBinding
 * applied with the DaemonSet to take effect), then left off with one WARN and the driver ready, so a
 * node without that RBAC makes no request for it.
 */
public final class KubeWatch<T extends HasMetadata> implements KubeReachability.Watched, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubeWatch.class);
  /** After the first failure, one WARN per this many more. */
  private static final int WARN_EVERY = 10;
  /** How many refusals an optional watch is retried before it is left off. */
  static final int MAX_REFUSED = 6;

  private final String what;
  private final boolean required;
  private final SharedIndexInformer<T> informer;
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger refusals = new AtomicInteger();
  private volatile Throwable lastFailure;
  private volatile boolean closed;

  /**
   * @param what what is watched, for logs and {@code /readyz}, e.g. {@code SecretProviderClasses}
   * @param informer a runnable informer that has not been started
   * @param required whether a refused watch (401/403) makes the driver not ready
   */
  public KubeWatch(String what, SharedIndexInformer<T> informer, boolean required) {
    this.what = Objects.requireNonNull(what, "what");
    this.informer = Objects.requireNonNull(informer, "informer");
    this.required = required;
    informer.exceptionHandler((started, failure) -> !closed && failed(failure));
  }

  /** Starts listing and watching in the background; never blocks or throws. */
  public void start() {
    informer.start().whenComplete((ok, failure) -> {
      if (failure == null && failures.get() > 0) {
        LOG.info("watch of {} started after {} failed attempt(s)", what, failures.get());
      }
    });
  }

  /** Records a failed start or re-watch; whether to try again. */
  private boolean failed(Throwable failure) {
    lastFailure = failure;
    int n = failures.incrementAndGet();
    if (KubeErrors.refused(failure) && !required) {
      if (refusals.incrementAndGet() < MAX_REFUSED) {
        LOG.debug("watch of {} refused ({}), attempt {}", what, KubeErrors.describe(failure), n);
        return true;
      }
      LOG.warn("watch of {} refused ({}) {} times: left off; grant list/watch and restart the driver to use it",
          what, KubeErrors.describe(failure), MAX_REFUSED);
      return false;
    }
    if (n == 1 || n % WARN_EVERY == 0) {
      LOG.warn("watch of {} not running ({}), attempt {}; retrying with backoff", what,
          KubeErrors.describe(failure), n);
    } else {
      LOG.debug("watch of {} not running ({}), attempt {}", what, KubeErrors.describe(failure), n);
    }
    return true;
  }

  /** Empty while the watch connection is up; else why not, in one line. */
  public Optional<String> problem() {
    if (informer.isWatching()) {
      return Optional.empty();
    }
    Throwable failure = lastFailure;
    if (failure == null) {
      return Optional.of("watch of " + what + (informer.hasSynced() ? " reconnecting" : " starting"));
    }
    if (KubeErrors.refused(failure) && !required) {
      return Optional.empty();
    }
    return Optional.of("watch of " + what + " not running: " + KubeErrors.describe(failure) + " (retrying)");
  }

  /** What is watched, e.g. {@code SecretProviderClasses}. */
  public String what() {
    return what;
  }

  @Override
  public Optional<String> watchProblem() {
    return problem();
  }

  @Override
  public String watchName() {
    return what;
  }

  /**
   * The resourceVersion of the last event or bookmark the running watch has seen; empty while the
   * watch is not running (down, or left off), so that {@link WatchLiveness} measures only running
   * watches.
   */
  @Override
  public Optional<String> seenVersion() {
    if (!informer.isWatching()) {
      return Optional.empty();
    }
    return Optional.ofNullable(informer.lastSyncResourceVersion());
  }

  /** Whether the first list has been stored, so that {@link #store()} is complete. */
  public boolean synced() {
    return informer.hasSynced();
  }

  public Store<T> store() {
    return informer.getStore();
  }

  /** Failed attempts so far (starts and re-watches). */
  int failures() {
    return failures.get();
  }

  /** Whether the informer has stopped for good (closed, or an optional watch refused too often). */
  public boolean stopped() {
    return informer.stopped().toCompletableFuture().isDone();
  }

  @Override
  public void close() {
    closed = true;
    informer.close();
  }
}
