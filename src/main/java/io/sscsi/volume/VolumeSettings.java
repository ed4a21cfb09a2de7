package io.sscsi.volume;

import java.time.Duration;

/**
 * Per-volume settings.
 *
 * @param nodeId this node's name, written into each SecretProviderClassPodStatus label
 * @param tmpfsSizeBytes size cap of each volume's tmpfs; 0 means no cap (upstream's behaviour)
 * @param providerTimeout how long a publish waits for its provider answer, queueing included
 */
public record VolumeSettings(String nodeId, long tmpfsSizeBytes, Duration providerTimeout) {}
