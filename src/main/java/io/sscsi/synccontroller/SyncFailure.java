package io.sscsi.synccontroller;

import io.sscsi.errors.DriverException;
import java.util.Objects;

/**
 * Why a sync failed, as its condition shows it: SSC's reason, a code (the provider's own error code,
 * else the failure kind's {@code error_type}) and a message cut to {@value #MAX_MESSAGE} characters.
 * Messages are written by the controller or quote a provider's status message; never a value.
 */
public record SyncFailure(String reason, String code, String message) {
  public static final int MAX_MESSAGE = 512;

  public static final String SPC_MISCONFIGURED = "SecretProviderClassMisconfigured";
  public static final String PROVIDER_ERROR = "ProviderError";
  public static final String FETCH_FAILED = "RemoteSecretStoreFetchFailed";
  public static final String SYNC_ERROR = "ControllerSyncError";
  public static final String PATCH_ERROR = "ControllerPatchError";
  public static final String LABEL_ERROR = "InvalidClusterSecretLabelError";
  public static final String ANNOTATION_ERROR = "InvalidClusterSecretAnnotationError";

  public SyncFailure {
    Objects.requireNonNull(reason, "reason");
    code = code == null ? "" : code;
    message = cut(message == null ? "" : message);
  }

  /** A failure with {@code reason}, coded by the DriverException behind {@code e}, if any. */
  public static SyncFailure of(String reason, Throwable e) {
    return DriverException.unwrap(e)
        .map(d -> new SyncFailure(reason, d.errorType(), d.getMessage()))
        .orElseGet(() -> new SyncFailure(reason, "Internal", e.getClass().getSimpleName()));
  }

  static String cut(String text) {
    if (text.length() <= MAX_MESSAGE) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(MAX_MESSAGE - 1)) ? MAX_MESSAGE - 1 : MAX_MESSAGE;
    return text.substring(0, end) + "...[cut]";
  }

  /** Thrown inside a sync run; the actor turns it into the condition. */
  public static final class Failed extends RuntimeException {
    private final SyncFailure failure;

    public Failed(SyncFailure failure) {
      super(failure.reason() + ": " + failure.message(), null, false, false);
      this.failure = failure;
    }

    public SyncFailure failure() {
      return failure;
    }
  }

  public Failed toException() {
    return new Failed(this);
  }
}
