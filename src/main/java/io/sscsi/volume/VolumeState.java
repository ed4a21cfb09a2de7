package io.sscsi.volume;

import io.sscsi.pods.PodRef;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a {@link VolumeActor} holds for its target between calls. While a workflow runs, the actor
 * is busy with an {@link Attempt} and keeps the state it started from.
 */
sealed interface VolumeState {

  /** Nothing mounted by this driver process. */
  record Idle() implements VolumeState {
    @Override
    public boolean holdsMount() {
      return false;
    }

    @Override
    public VolumeState withFailure(Instant at, String error) {
      return this;
    }

    @Override
    public VolumeState emptiedBy(Instant at, String error) {
      return this;
    }

    @Override
    public Optional<PodRef> podHoldingSecrets() {
      return Optional.empty();
    }

    @Override
    public <R> R fold(Supplier<R> idle, Function<AdoptedVolume, R> adopted, Function<MountedVolume, R> mounted) {
      return idle.get();
    }
  }

  /** Found mounted after a restart; kubelet's next publish completes what it knows. */
  record Adopted(AdoptedVolume volume) implements VolumeState {
    @Override
    public boolean holdsMount() {
      return true;
    }

    @Override
    public VolumeState withFailure(Instant at, String error) {
      return new Adopted(volume.withFailure(at, error));
    }

    @Override
    public VolumeState emptiedBy(Instant at, String error) {
      return new Adopted(volume.emptiedBy(at, error));
    }

    @Override
    public Optional<PodRef> podHoldingSecrets() {
      return Optional.of(volume.pod());
    }

    @Override
    public <R> R fold(Supplier<R> idle, Function<AdoptedVolume, R> adopted, Function<MountedVolume, R> mounted) {
      return adopted.apply(volume);
    }
  }

  /** Content this driver process published, refreshed or learned. */
  record Mounted(MountedVolume volume) implements VolumeState {
    @Override
    public boolean holdsMount() {
      return true;
    }

    @Override
    public VolumeState withFailure(Instant at, String error) {
      return new Mounted(volume.withFailure(at, error));
    }

    @Override
    public VolumeState emptiedBy(Instant at, String error) {
      return new Mounted(volume.emptiedBy(at, error));
    }

    /** None once its pod is known gone: its Secrets were released when that was learned. */
    @Override
    public Optional<PodRef> podHoldingSecrets() {
      return volume.podGone() ? Optional.empty() : Optional.of(volume.pod());
    }

    @Override
    public <R> R fold(Supplier<R> idle, Function<AdoptedVolume, R> adopted, Function<MountedVolume, R> mounted) {
      return mounted.apply(volume);
    }
  }

  VolumeState IDLE = new Idle();

  /** Whether the driver holds a tmpfs here (counted in {@code sscsi_volumes_mounted}). */
  boolean holdsMount();

  /** The same state after a failed attempt at {@code at} that touched nothing (idle stays idle). */
  VolumeState withFailure(Instant at, String error);

  /** The same state after an unpublish that deleted the files and then failed (idle stays idle). */
  VolumeState emptiedBy(Instant at, String error);

  /** The pod whose synced Secrets this volume feeds, for Secret sync to release when it goes. */
  Optional<PodRef> podHoldingSecrets();

  /** The one of the three functions for this state, applied to what it holds. */
  <R> R fold(Supplier<R> idle, Function<AdoptedVolume, R> adopted, Function<MountedVolume, R> mounted);
}
