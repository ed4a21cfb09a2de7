package io.sscsi.volume;

import io.sscsi.fs.AtomicWriter;
import io.sscsi.fs.Mounter;
import io.sscsi.provider.ProviderCalls;
import io.sscsi.pods.NodePublishSecrets;
import io.sscsi.pods.PodEvents;
import io.sscsi.status.PodStatusStore;
import io.sscsi.spc.ProviderClassSource;
import io.sscsi.sync.SecretSync;
import java.util.concurrent.Executor;

/**
 * What a volume needs from the outside world, handed down by the guardian.
 *
 * @param providers Mount calls, straight to each provider's pool
 * @param blocking the dedicated dispatcher for blocking file, mount and API work
 * @param secretSync told when a volume's content changed or went away
 * @param events Warning events on pods (blocking: call on {@code blocking})
 * @param publishSecrets nodePublishSecretRef lookups and the watch of Secrets labelled used=true
 * @param time the clock, the timer's jitter and the status retry backoff
 */
public record VolumeDeps(
    ProviderClassSource classes,
    PodStatusStore statuses,
    Mounter mounter,
    AtomicWriter writer,
    ProviderCalls providers,
    Executor blocking,
    VolumeSettings settings,
    SecretSync secretSync,
    PodEvents events,
    NodePublishSecrets publishSecrets,
    VolumeTime time) {}
