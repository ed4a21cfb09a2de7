package io.sscsi.k8s;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether the driver's view of the API server is live, for {@code /readyz}: read from the state of
 * the watch connections the driver runs anyway ({@link KubeWatch}), so it costs no request and needs
 * no timer. Ready when every watch is up (or refused by RBAC it may lack by design); else the first
 * problem, e.g. {@code watch of SecretProviderClasses not running: ConnectException: Connection
 * refused (retrying)}. With {@code watch-stale-after} set ({@link WatchLiveness}), a running watch
 * that has seen no event or bookmark for that long is a problem too (a paused API server keeps the
 * connection up).
 */
public final class KubeReachability {

  /** Something backed by a watch of the API server. */
  public interface Watched {
    /** Empty while its watch runs; else why not, in one line. Cheap: no request. */
    Optional<String> watchProblem();

    /** What is watched, for {@code /readyz}. */
    String watchName();

    /** The resourceVersion its running watch last saw (event or bookmark); empty while not running. */
    Optional<String> seenVersion();
  }

  private final WatchLiveness liveness;
  private final List<Watched> watched;

  public KubeReachability(Watched... watched) {
    this(WatchLiveness.off(), watched);
  }

  public KubeReachability(WatchLiveness liveness, Watched... watched) {
    this.liveness = Objects.requireNonNull(liveness, "liveness");
    this.watched = List.of(watched);
  }

  /** Empty when every watch runs (and, when the check is on, has heard from the API server lately). */
  public Optional<String> problem() {
    Optional<String> first = Optional.empty();
    for (Watched w : watched) {
      Optional<String> p = w.watchProblem();
      // every watch is sampled, so that each one's clock is right when an earlier problem clears
      Optional<String> stale = liveness.stale(w.watchName(), p.isPresent() ? Optional.empty() : w.seenVersion())
          .map(d -> "watch of " + w.watchName() + " has seen no event or bookmark for " + d.toSeconds()
              + " s (watch-stale-after " + liveness.staleAfter().toSeconds() + " s)");
      if (first.isEmpty()) {
        first = p.or(() -> stale);
      }
    }
    return first;
  }
}
