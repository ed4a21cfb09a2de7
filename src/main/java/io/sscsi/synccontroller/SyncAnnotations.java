package io.sscsi.synccontroller;

import io.sscsi.config.GoDuration;
import io.sscsi.synccontroller.model.SecretSync;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Pure: sscsi's annotations on a SecretSync, beyond SSC (an annotation keeps the CRD
 * interchangeable with SSC's): {@value #REFRESH_INTERVAL} (a Go duration: this object's own resync
 * interval, instead of {@code --rotation-poll-interval}) and {@value #RETAIN_ON_DELETE} ({@code
 * "true"}: deleting the SecretSync orphans its Secret; the controller holds the finalizer of the same
 * name while the annotation is set, and removes its ownerReference before it lets the SecretSync go).
 */
public final class SyncAnnotations {
  public static final String REFRESH_INTERVAL = "sscsi.io/refresh-interval";
  public static final String RETAIN_ON_DELETE = "sscsi.io/retain-on-delete";
  public static final String RETAIN_FINALIZER = "sscsi.io/retain-on-delete";

  private SyncAnnotations() {}

  /** The interval by which {@code sync} is re-synced: its annotation when valid, else {@code global}. */
  public static Duration interval(SecretSync sync, Duration global) {
    return refreshInterval(sync).orElse(global);
  }

  /**
   * The annotation's interval; empty when absent. A value that is not a positive Go duration is
   * ignored (the global interval applies): {@link #problem} names it.
   */
  public static Optional<Duration> refreshInterval(SecretSync sync) {
    String text = annotations(sync).get(REFRESH_INTERVAL);
    if (text == null) {
      return Optional.empty();
    }
    try {
      Duration d = GoDuration.parse(text.trim());
      return d.isNegative() || d.isZero() ? Optional.empty() : Optional.of(d);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** What is wrong with the annotations, for the log; empty when nothing. */
  public static Optional<String> problem(SecretSync sync) {
    String text = annotations(sync).get(REFRESH_INTERVAL);
    if (text != null && refreshInterval(sync).isEmpty()) {
      return Optional.of("annotation " + REFRESH_INTERVAL + " is not a positive Go duration (e.g. 10m): ignored");
    }
    return Optional.empty();
  }

  public static boolean retainOnDelete(SecretSync sync) {
    return "true".equalsIgnoreCase(annotations(sync).getOrDefault(RETAIN_ON_DELETE, "").trim());
  }

  public static boolean hasRetainFinalizer(SecretSync sync) {
    return sync.getMetadata().getFinalizers() != null && sync.getMetadata().getFinalizers().contains(RETAIN_FINALIZER);
  }

  private static Map<String, String> annotations(SecretSync sync) {
    Map<String, String> a = sync.getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }
}
