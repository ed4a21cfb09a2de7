package io.sscsi.volume;

import io.sscsi.fs.AtomicWriter;
import io.sscsi.fs.Mounter;
import io.sscsi.provider.ProviderRegistry;
import io.sscsi.spc.PodStatusStore;
import io.sscsi.spc.ProviderClassSource;
import io.sscsi.spc.NodePublishSecrets;
import io.sscsi.spc.PodEvents;
import io.sscsi.spc.SecretSync;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;

/**
 * What a volume needs from the outside world, handed down by the guardian.
 *
 * @param blocking the dedicated dispatcher for blocking file, mount and API work
 * @param secretSync told when a volume's content changed or went away
 * @param events Warning events on pods (blocking: call on {@code blocking})
 * @param publishSecrets nodePublishSecretRef lookups and the watch of Secrets labelled used=true
 */
public record VolumeDeps(
    ProviderClassSource classes,
    PodStatusStore statuses,
    Mounter mounter,
    AtomicWriter writer,
    ActorRef<ProviderRegistry.Command> providers,
    Executor blocking,
    Scheduler scheduler,
    VolumeSettings settings,
    SecretSync secretSync,
    PodEvents events,
    NodePublishSecrets publishSecrets) {}
