package io.sscsi.volume;

import io.sscsi.errors.DriverException;

/**
 * An unpublish failed after it had already deleted the volume's files (the checks passed, the files
 * were emptied, then the unmount failed, e.g. EBUSY). The volume stays mounted but empty: the next
 * republish must fetch and write again before it may answer OK, never report the empty volume as good.
 */
final class ContentRemoved extends RuntimeException {
  private final DriverException error;

  ContentRemoved(DriverException error) {
    super(error.getMessage(), error, false, false);
    this.error = error;
  }

  /** The failure itself, as kubelet hears it. */
  DriverException error() {
    return error;
  }
}
