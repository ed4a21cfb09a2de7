package io.sscsi.fs;

import io.sscsi.errors.DriverException;

/**
 * {@link TargetDirCleaner#cleanup} failed after it had started deleting the volume's files (every
 * check had passed; then a delete, the unmount or the directory's removal failed, e.g. EBUSY): some
 * or all of the payload is gone, so the volume must never again be reported as good until it is
 * written anew. Thrown only from that point on; a refusal before it is a plain {@link DriverException}.
 */
public final class ContentDeleted extends RuntimeException {
  private final DriverException error;

  ContentDeleted(DriverException error) {
    super(error.getMessage(), error, false, false);
    this.error = error;
  }

  /** The failure itself, as kubelet hears it. */
  public DriverException error() {
    return error;
  }
}
