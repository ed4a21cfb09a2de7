package io.sscsi.volume;

import io.sscsi.status.PodStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Pure: what to do after a restart with each tmpfs still mounted under kubelet's pods directory.
 * A mount is ours only if a SecretProviderClassPodStatus of this node names it as its target path
 * and the path's pod uid is that status's pod (a status whose targetPath was edited to point
 * elsewhere is ignored: CVE-2020-8568); anything else belongs to someone else and is left alone.
 * Ours with its pod gone: cleaned up. Ours with a complete payload ({@code ..data}): adopted as
 * mounted. Ours without one: adopted as emptied. A status is written only after the payload, so its
 * volume without {@code ..data} was emptied by an unpublish that failed after deleting the files
 * (e.g. EBUSY on the unmount); it still belongs to the status's pod, and kubelet's next republish
 * fetches and writes again before answering. (A publish cut between mount and write has no status:
 * it is no step here, and the next publish takes its tmpfs over, see {@link TargetStep}.)
 */
public final class RecoveryPlan {
  private RecoveryPlan() {}

  public enum Action { ADOPT_MOUNTED, ADOPT_EMPTIED, CLEAN_UP }

  public record Step(Action action, Path target, PodStatus status) {}

  /**
   * @param tmpfsMounts tmpfs mount points under {@code podsDir}
   * @param hasPayload whether a mount holds a complete payload
   * @param podAlive whether a status's pod still exists
   */
  public static List<Step> plan(Path podsDir, List<Path> tmpfsMounts, List<PodStatus> statuses,
      Predicate<Path> hasPayload, Predicate<PodStatus> podAlive) {
    Map<Path, PodStatus> byTarget = new HashMap<>();
    for (PodStatus s : statuses) {
      byTarget.put(Path.of(s.targetPath()).normalize(), s);
    }
    List<Step> steps = new ArrayList<>();
    for (Path mount : tmpfsMounts) {
      PodStatus status = byTarget.get(mount.normalize());
      if (status == null || !podUidOf(podsDir, mount).equals(status.podUid())) {
        continue;
      }
      if (!podAlive.test(status)) {
        steps.add(new Step(Action.CLEAN_UP, mount, status));
      } else {
        steps.add(new Step(hasPayload.test(mount) ? Action.ADOPT_MOUNTED : Action.ADOPT_EMPTIED, mount, status));
      }
    }
    return steps;
  }

  /** The pod uid of kubelet's layout under {@code podsDir}, else "". */
  static String podUidOf(Path podsDir, Path target) {
    return KubeletTargetPath.parse(target).filter(k -> k.podsDir().equals(podsDir.normalize()))
        .map(KubeletTargetPath::podUid).orElse("");
  }
}
