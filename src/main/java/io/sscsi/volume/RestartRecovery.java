package io.sscsi.volume;

import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import io.sscsi.fs.TargetDirCleaner;
import io.sscsi.fs.TargetOwnership;
import io.sscsi.status.PodStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocking, run once at start on the blocking dispatcher: reads the mount table and this node's
 * SecretProviderClassPodStatus objects (from the status store: the API server's, or local mode's
 * status files), lets {@link RecoveryPlan} decide, cleans up the volumes of pods that are gone, and
 * returns those to adopt as mounted. Only tmpfs mounts as the driver makes them count
 * ({@link TargetOwnership#isOurTmpfs}); the cleanup checks the mount table again and refuses a
 * volume with mounts nested inside. A volume its status names whose files are gone (an unpublish
 * deleted them, then failed) is adopted as emptied: it belongs to its pod, and kubelet's republish
 * fetches again. Cut publishes (mounted, no status) are left to kubelet's next publish, which fetches
 * and writes before it answers, and undoes the mount if it fails.
 */
final class RestartRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(RestartRecovery.class);
  private final VolumeDeps deps;

  RestartRecovery(VolumeDeps deps) {
    this.deps = deps;
  }

  List<AdoptedVolume> run() {
    Path podsDir = deps.settings().podsDir();
    List<Path> tmpfs = new MountTable().under(podsDir).stream()
        .filter(TargetOwnership::isOurTmpfs).map(MountEntry::mountPoint).distinct().toList();
    if (tmpfs.isEmpty()) {
      return List.of();
    }
    List<PodStatus> statuses = deps.statuses().listForNode(deps.settings().nodeId());
    List<RecoveryPlan.Step> steps = RecoveryPlan.plan(podsDir, tmpfs, statuses,
        t -> Files.isSymbolicLink(t.resolve("..data")),
        s -> deps.statuses().podExists(s.podNamespace(), s.podName(), s.podUid()));
    List<AdoptedVolume> adopted = new ArrayList<>();
    for (RecoveryPlan.Step step : steps) {
      switch (step.action()) {
        case CLEAN_UP -> cleanUp(step);
        case ADOPT_MOUNTED -> adopted.add(new AdoptedVolume(step.target(), step.status(), payloadTime(step.target())));
        case ADOPT_EMPTIED -> {
          LOG.warn("volume {} of pod {}/{} is mounted without its files (an unpublish deleted them, then failed):"
              + " adopted as emptied, kubelet's next publish fetches them again", step.target(),
              step.status().podNamespace(), step.status().podName());
          adopted.add(AdoptedVolume.emptied(step.target(), step.status(), payloadTime(step.target())));
        }
      }
    }
    return adopted;
  }

  private void cleanUp(RecoveryPlan.Step step) {
    PodStatus s = step.status();
    try {
      new TargetDirCleaner().cleanup(step.target(), deps.mounter());
      deps.statuses().delete(s.podNamespace(), s.objectName());
      LOG.info("volume {} of deleted pod {}/{} cleaned up", step.target(), s.podNamespace(), s.podName());
    } catch (RuntimeException e) {
      LOG.warn("volume {} of deleted pod {}/{} not cleaned up: {}", step.target(), s.podNamespace(), s.podName(),
          e.getMessage());
    }
  }

  /** When the payload was last swapped in: the target directory's mtime, as upstream reads it. */
  private static Instant payloadTime(Path target) {
    try {
      return Files.getLastModifiedTime(target, LinkOption.NOFOLLOW_LINKS).toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }
}
