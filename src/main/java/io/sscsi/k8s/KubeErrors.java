package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.errors.ForeignText;
import java.io.IOException;

/**
 * Turns what a fabric8 call threw into a {@link DriverException}: 401 and 403 become
 * API_FORBIDDEN (with an RBAC hint), everything else (no answer, timeouts, 5xx, unexpected 4xx)
 * becomes API_UNAVAILABLE. Callers handle the codes that mean something to them (404, 409) before
 * calling this. Messages name the operation, the HTTP code and the API server's short reason, and
 * for network failures the I/O exception's message; never the server's free-text message or a
 * response body. The fabric8 exception is chained as the cause (its message carries the URL and
 * the server's Status message, useful in logs) except for failures that are neither HTTP nor
 * network, such as an unparseable answer, whose causes may quote the body.
 */
final class KubeErrors {

  static final int FORBIDDEN = 403;
  static final int NOT_FOUND = 404;
  static final int CONFLICT = 409;
  private static final int UNAUTHORIZED = 401;

  private KubeErrors() {}

  /** The HTTP status code of a fabric8 failure, or 0 when there was no HTTP answer. */
  static int code(RuntimeException e) {
    return e instanceof KubernetesClientException kce ? kce.getCode() : 0;
  }

  /**
   * @param e what the fabric8 call threw
   * @param operation what was attempted, e.g. {@code get SecretProviderClass ns/name}
   * @param rbacHint what the driver's ClusterRole needs, e.g. {@code "get" on secretproviderclasses}
   */
  static DriverException translate(RuntimeException e, String whatWasAttempted, String rbacHint) {
    String operation = ForeignText.bounded(whatWasAttempted); // names a pod author chose, up to 100 KB
    int code = code(e);
    if (code == FORBIDDEN || code == UNAUTHORIZED) {
      String why = code == FORBIDDEN ? "403 Forbidden" : "401 Unauthorized: credentials rejected";
      return new DriverException(
          FailureKind.API_FORBIDDEN,
          "Kubernetes API refused to " + operation + " (" + why + "); the driver's service account"
              + " needs RBAC " + rbacHint,
          e);
    }
    if (code > 0) {
      return new DriverException(
          FailureKind.API_UNAVAILABLE,
          "Kubernetes API failed to " + operation + ": HTTP " + code + reason(e),
          e);
    }
    if (timedOut(e)) {
      // the JDK client's HttpTimeoutException wraps the "connection closed locally" of the cancelled exchange
      return new DriverException(
          FailureKind.API_UNAVAILABLE,
          "Kubernetes API server did not answer in time, cannot " + operation,
          e);
    }
    Throwable io = innermost(e, IOException.class);
    if (io != null) {
      return new DriverException(
          FailureKind.API_UNAVAILABLE,
          "Kubernetes API server unreachable, cannot " + operation + ": "
              + io.getClass().getSimpleName() + (io.getMessage() == null ? "" : ": " + ForeignText.bounded(io.getMessage())),
          e);
    }
    Throwable root = innermost(e, Throwable.class);
    // Neither network nor HTTP status (e.g. an unparseable answer): the cause may quote the
    // response body, so it is named but not chained.
    return new DriverException(
        FailureKind.API_UNAVAILABLE,
        "Kubernetes API call failed, cannot " + operation + ": " + root.getClass().getSimpleName());
  }

  /**
   * What went wrong, in one line for logs and {@code /readyz}: the HTTP code and the server's short
   * reason, or the innermost I/O exception's class and message; never a response body.
   */
  static String describe(Throwable failure) {
    Throwable http = innermost(failure, KubernetesClientException.class);
    if (http instanceof KubernetesClientException kce && kce.getCode() > 0) {
      return "HTTP " + kce.getCode() + reason(kce);
    }
    Throwable io = innermost(failure, IOException.class);
    if (io != null) {
      return io.getClass().getSimpleName() + (io.getMessage() == null ? "" : ": " + io.getMessage());
    }
    Throwable root = innermost(failure, Throwable.class);
    return root == null ? "unknown failure" : root.getClass().getSimpleName();
  }

  /** Whether the API server answered 401 or 403 (it is reachable; RBAC or credentials are wrong). */
  static boolean refused(Throwable failure) {
    Throwable t = innermost(failure, KubernetesClientException.class);
    return t instanceof KubernetesClientException kce && (kce.getCode() == FORBIDDEN || kce.getCode() == UNAUTHORIZED);
  }

  private static String reason(RuntimeException e) {
    if (e instanceof KubernetesClientException kce) {
      Status status = kce.getStatus();
      if (status != null && status.getReason() != null && !status.getReason().isBlank()) {
        return " " + status.getReason();
      }
    }
    return "";
  }

  /** The innermost throwable of {@code type} in the cause chain, or null. */
  private static boolean timedOut(Throwable e) {
    int depth = 0;
    for (Throwable t = e; t != null && depth < 32; t = t.getCause(), depth++) {
      if (t.getClass().getSimpleName().contains("Timeout")) {
        return true;
      }
    }
    return false;
  }

  private static Throwable innermost(Throwable e, Class<? extends Throwable> type) {
    Throwable found = null;
    int depth = 0;
    for (Throwable t = e; t != null && depth < 32; t = t.getCause(), depth++) {
      if (type.isInstance(t)) {
        found = t;
      }
    }
    return found;
  }
}
