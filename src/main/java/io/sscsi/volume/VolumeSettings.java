package io.sscsi.volume;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Per-volume settings.
 *
 * @param nodeId this node's name, written into each SecretProviderClassPodStatus label
 * @param tmpfsSizeBytes size cap of each volume's tmpfs; 0 means no cap (upstream's behaviour)
 * @param callTimeout the longest a provider call may take: caps kubelet's own deadline, and is the
 *     deadline of refreshes nobody waits for (provider {@code call-timeout})
 * @param rotationEnabled {@code --enable-secret-rotation}
 * @param rotationInterval {@code --rotation-poll-interval}: at most one provider call per volume per interval
 * @param rotationTimer whether each volume also refreshes on its own timer (for clusters whose
 *     CSIDriver does not set {@code requiresRepublish}); kubelet's republish refreshes either way
 * @param podsDir kubelet's pods directory, where restart recovery looks for mounts; null = no recovery
 */
public record VolumeSettings(String nodeId, long tmpfsSizeBytes, Duration callTimeout, boolean rotationEnabled,
    Duration rotationInterval, boolean rotationTimer, Path podsDir) {

  /** Rotation off, upstream's default interval, no recovery. */
  public VolumeSettings(String nodeId, long tmpfsSizeBytes, Duration callTimeout) {
    this(nodeId, tmpfsSizeBytes, callTimeout, false, Duration.ofMinutes(2), true, null);
  }
}
