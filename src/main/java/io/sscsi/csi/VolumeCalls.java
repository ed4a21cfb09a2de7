package io.sscsi.csi;

import io.sscsi.volume.VolumeRouter;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;

/** What the Node service needs to hand publish and unpublish calls to the volume actors. */
public record VolumeCalls(ActorRef<VolumeRouter.Command> router, Scheduler scheduler) {}
