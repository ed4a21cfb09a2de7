package io.sscsi.volume;

import io.sscsi.fs.TargetOwnership;
import java.util.function.BooleanSupplier;

/**
 * Pure: what a publish or refresh does with a target directory that already existed, from what the
 * mount table says is there ({@link TargetOwnership}) and whether the mounter calls that its volume.
 * A directory the publish just created needs no decision: it is mounted.
 */
enum TargetStep {
  /** Nothing mounted: mount a fresh tmpfs (undone if the publish fails). */
  MOUNT,
  /** Our volume: write into it; a failure leaves it as it was. */
  REUSE,
  /**
   * Our tmpfs without a payload, met by a first publish: a publish cut short by a crash. This
   * publish owns it now; if it fails, the tmpfs is unmounted and the directory removed.
   */
  TAKE_OVER_CUT,
  /** A foreign mount or mounts nested inside: touch nothing, fail with TARGET_NOT_OURS. */
  REFUSE;

  /**
   * @param isVolume whether the mounter calls {@code state} its volume
   * @param firstPublish true for a first publish, false for a refresh of a known volume
   * @param hasPayload whether {@code ..data} is in place (read only when it matters)
   */
  static TargetStep decide(TargetOwnership state, boolean isVolume, boolean firstPublish, BooleanSupplier hasPayload) {
    if (isVolume) {
      return firstPublish && state instanceof TargetOwnership.OurTmpfs && !hasPayload.getAsBoolean()
          ? TAKE_OVER_CUT : REUSE;
    }
    return state instanceof TargetOwnership.Absent ? MOUNT : REFUSE;
  }
}
