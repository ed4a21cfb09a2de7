package io.sscsi.volume;

/**
 * What a {@link VolumeActor} holds for its target between calls. While a workflow runs, the actor
 * is busy with an {@link Attempt} and keeps the state it started from.
 */
sealed interface VolumeState {

  /** Nothing mounted by this driver process. */
  record Idle() implements VolumeState {}

  /** Found mounted after a restart; kubelet's next publish completes what it knows. */
  record Adopted(AdoptedVolume volume) implements VolumeState {}

  /** Content this driver process published, refreshed or learned. */
  record Mounted(MountedVolume volume) implements VolumeState {}

  VolumeState IDLE = new Idle();
}
