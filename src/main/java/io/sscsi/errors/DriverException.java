package io.sscsi.errors;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A failure the driver understands: a {@link FailureKind} plus a message for the operator. The
 * message must never contain a secret value, a token or file contents.
 *
 * <p>{@code codeOverride} carries a provider's own gRPC code through to kubelet unchanged.
 */
public final class DriverException extends RuntimeException {
  private final FailureKind kind;
  private final Status.Code codeOverride;
  private final String errorTypeOverride;

  public DriverException(FailureKind kind, String message) {
    this(kind, message, null, null, null);
  }

  public DriverException(FailureKind kind, String message, Throwable cause) {
    this(kind, message, null, null, cause);
  }

  private DriverException(
      FailureKind kind, String message, Status.Code codeOverride, String errorType, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
    this.codeOverride = codeOverride;
    this.errorTypeOverride = errorType;
  }

  /** A provider RPC failure that keeps the provider's own status code. */
  public static DriverException fromProvider(String provider, StatusRuntimeException e) {
    Status status = e.getStatus();
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      return new DriverException(
          FailureKind.PROVIDER_TIMEOUT, "provider " + provider + " did not answer in time", e);
    }
    if (status.getCode() == Status.Code.CANCELLED && status.getCause() != null) {
      return unreadableAnswer(provider, status.getCause());
    }
    String detail = status.getDescription() == null ? "" : ": " + ForeignText.bounded(status.getDescription());
    // Go providers' channel says "received message larger than max", grpc-java's (ours) says
    // "gRPC message exceeds maximum size N: M"; both mean our max receive size was hit.
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED
        && (detail.contains("larger than max") || detail.contains("exceeds maximum size"))) {
      detail += " (raise --max-call-recv-msg-size)";
    }
    Status.Code code = status.getCode() == Status.Code.UNKNOWN ? null : status.getCode();
    return new DriverException(
        FailureKind.PROVIDER_RPC_FAILED,
        "provider " + provider + " failed the Mount call with " + status.getCode() + detail,
        code,
        null,
        e);
  }

  /**
   * grpc-java could not read the provider's answer (bytes that are not valid protobuf): it cancels
   * the call itself and reports CANCELLED with the parse failure as the cause. The provider never
   * sent CANCELLED (a status from the wire has no cause), and kubelet would take CANCELLED for a
   * non-final outcome: it is a broken response, PROVIDER_BAD_RESPONSE (INTERNAL).
   */
  private static DriverException unreadableAnswer(String provider, Throwable cause) {
    boolean notProtobuf = false;
    for (Throwable t = cause; t != null && !notProtobuf; t = t.getCause() == t ? null : t.getCause()) {
      notProtobuf = t instanceof com.google.protobuf.InvalidProtocolBufferException;
    }
    String why = notProtobuf ? "is not a valid MountResponse (protobuf parse failure)"
        : "could not be read (" + cause.getClass().getSimpleName() + ")";
    return new DriverException(
        FailureKind.PROVIDER_BAD_RESPONSE, "provider " + provider + " answered the Mount call with a response that " + why,
        null, null, cause);
  }

  /** A failure the provider reported in its response, labelled with the provider's code. */
  public static DriverException providerReported(String provider, String providerCode) {
    return new DriverException(
        FailureKind.PROVIDER_REPORTED_ERROR,
        "provider " + provider + " reported error code " + ForeignText.bounded(providerCode),
        null,
        providerCode,
        null);
  }

  public FailureKind kind() {
    return kind;
  }

  /** The gRPC code to answer with: the provider's own code when passed through, else the table's. */
  public Status.Code code() {
    return codeOverride != null ? codeOverride : kind.code();
  }

  /** The {@code error_type} metric label. */
  public String errorType() {
    return errorTypeOverride != null ? errorTypeOverride : kind.errorType();
  }

  /** The gRPC status a CSI caller receives for this failure. */
  public Status toStatus() {
    return Status.fromCode(code()).withDescription(getMessage());
  }

  /**
   * Finds the DriverException behind wrapper exceptions (CompletionException, ExecutionException).
   */
  public static Optional<DriverException> unwrap(Throwable t) {
    Throwable cur = t;
    while (cur != null) {
      if (cur instanceof DriverException de) {
        return Optional.of(de);
      }
      if (!(cur instanceof CompletionException) && !(cur instanceof ExecutionException)) {
        return Optional.empty();
      }
      cur = cur.getCause();
    }
    return Optional.empty();
  }

  /** Any throwable as a DriverException; unexpected ones become {@link FailureKind#INTERNAL}. */
  public static DriverException of(Throwable t) {
    return unwrap(t)
        .orElseGet(
            () -> {
              Throwable root = t;
              while ((root instanceof CompletionException || root instanceof ExecutionException)
                  && root.getCause() != null) {
                root = root.getCause();
              }
              if (root instanceof java.util.concurrent.TimeoutException) {
                return new DriverException(
                    FailureKind.TIMEOUT, "operation did not finish within its deadline", root);
              }
              return new DriverException(
                  FailureKind.INTERNAL,
                  "unexpected " + root.getClass().getSimpleName() + ": " + root.getMessage(),
                  root);
            });
  }
}
