package io.sscsi.k8s;

import java.util.List;
import java.util.Optional;

/**
 * Whether the driver's view of the API server is live, for {@code /readyz}: read from the state of
 * the watch connections the driver runs anyway ({@link KubeWatch}), so it costs no request and needs
 * no timer. Ready when every watch is up (or refused by RBAC it may lack by design); else the first
 * problem, e.g. {@code watch of SecretProviderClasses not running: ConnectException: Connection
 * refused (retrying)}.
 */
public final class KubeReachability {

  /** Something backed by a watch of the API server. */
  public interface Watched {
    /** Empty while its watch runs; else why not, in one line. Cheap: no request. */
    Optional<String> watchProblem();
  }

  private final List<Watched> watched;

  public KubeReachability(Watched... watched) {
    this.watched = List.of(watched);
  }

  /** Empty when every watch runs. */
  public Optional<String> problem() {
    for (Watched w : watched) {
      Optional<String> p = w.watchProblem();
      if (p.isPresent()) {
        return p;
      }
    }
    return Optional.empty();
  }
}
