package io.sscsi.errors;

import io.grpc.Status;

/**
 * The one table that maps every failure the driver understands to a gRPC status code and to the
 * {@code error_type} label of the {@code node_publish_error_total} metric.
 *
 * <p>Labels reuse upstream's reason strings where upstream has one, so existing dashboards keep
 * working; codes deliberately differ from upstream where upstream answers {@code Unknown} for a
 * failure it understands (missing SecretProviderClass, invalid provider payload, ...).
 */
public enum FailureKind {
  /** A CSI request field is missing or malformed; the caller must fix the request. */
  INVALID_REQUEST(Status.Code.INVALID_ARGUMENT, "FailedToMount"),
  /** The named SecretProviderClass does not exist in the pod's namespace. */
  SPC_NOT_FOUND(Status.Code.NOT_FOUND, "SecretProviderClassNotFound"),
  /** The SecretProviderClass exists but cannot be used (no provider, no parameters, bad name). */
  SPC_INVALID(Status.Code.FAILED_PRECONDITION, "SecretProviderClassNotFound"),
  /** No socket for the named provider in any provider directory: the provider is not installed. */
  PROVIDER_NOT_FOUND(Status.Code.FAILED_PRECONDITION, "FailedToLookupProviderGRPCClient"),
  /** The provider answered the Mount call with a gRPC error; its own code is passed through. */
  PROVIDER_RPC_FAILED(Status.Code.UNAVAILABLE, "GRPCProviderError"),
  /** The provider reported a failure in {@code MountResponse.error.code}. */
  PROVIDER_REPORTED_ERROR(Status.Code.FAILED_PRECONDITION, "ProviderError"),
  /** The provider's response breaks the protocol (no object versions, ...). */
  PROVIDER_BAD_RESPONSE(Status.Code.INTERNAL, "GRPCProviderError"),
  /** A file returned by the provider breaks the payload rules (traversal, absolute, bad mode, ...). */
  PROVIDER_BAD_PAYLOAD(Status.Code.INTERNAL, "FileWriteError"),
  /** Too many calls are queued for this provider already; the caller should retry later. */
  PROVIDER_OVERLOADED(Status.Code.RESOURCE_EXHAUSTED, "ProviderOverloaded"),
  /**
   * Restart recovery has not finished and the driver holds as many volume calls waiting for it as it
   * may ({@code VolumeRouter.MAX_HELD}); the caller should retry later.
   */
  RECOVERY_BACKLOG_FULL(Status.Code.RESOURCE_EXHAUSTED, "RecoveryBacklogFull"),
  /** The provider keeps failing: its circuit breaker is open, so calls fail at once for a while. */
  PROVIDER_UNAVAILABLE(Status.Code.UNAVAILABLE, "GRPCProviderError"),
  /** The provider did not answer within the per-call deadline. */
  PROVIDER_TIMEOUT(Status.Code.DEADLINE_EXCEEDED, "GRPCProviderError"),
  /** The target directory could not be created or inspected. */
  TARGET_PATH_FAILED(Status.Code.INTERNAL, "FailedToEnsureMountPoint"),
  /**
   * The target is not the driver's to fill or empty: a foreign mount sits there (see
   * {@code fs.TargetOwnership}), mounts are nested inside it, or its path goes through a symbolic link.
   * Nothing was written or deleted.
   */
  TARGET_NOT_OURS(Status.Code.FAILED_PRECONDITION, "FailedToEnsureMountPoint"),
  /**
   * The target already holds a volume published for another pod or SecretProviderClass (the CSI
   * spec's "volume published but is incompatible"); the caller must fix the request.
   */
  TARGET_IN_USE(Status.Code.ALREADY_EXISTS, "TargetInUse"),
  /** mount(2) or umount2(2) failed. */
  MOUNT_FAILED(Status.Code.INTERNAL, "FailedToMount"),
  /** Writing the payload into the tmpfs failed. */
  WRITE_FAILED(Status.Code.INTERNAL, "FileWriteError"),
  /** The Kubernetes API server could not be reached or answered with a server error. */
  API_UNAVAILABLE(Status.Code.UNAVAILABLE, "ApiServerUnavailable"),
  /** The Kubernetes API server refused the driver's request (RBAC). */
  API_FORBIDDEN(Status.Code.PERMISSION_DENIED, "ApiServerForbidden"),
  /** The driver did not finish the operation within the caller's deadline. */
  TIMEOUT(Status.Code.DEADLINE_EXCEEDED, "FailedToMount"),
  /** The RPC is not implemented by this driver. */
  UNIMPLEMENTED(Status.Code.UNIMPLEMENTED, "Unimplemented"),
  /** A bug: something we did not expect. The only kind that may carry an unexpected cause. */
  INTERNAL(Status.Code.INTERNAL, "Internal");

  private final Status.Code code;
  private final String errorType;

  FailureKind(Status.Code code, String errorType) {
    this.code = code;
    this.errorType = errorType;
  }

  /** The gRPC status code this kind of failure is answered with. */
  public Status.Code code() {
    return code;
  }

  /** The {@code error_type} metric label for this kind. */
  public String errorType() {
    return errorType;
  }
}
