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
 * mounted. Ours without one (a publish cut between mount and write): adopted as not mounted, so the
 * next publish fetches and writes before answering (upstream #1051), and unmounts it if that fails.
 */
public final class RecoveryPlan {
  private RecoveryPlan() {}

  public enum Action { ADOPT_MOUNTED, ADOPT_EMPTY, CLEAN_UP }

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
        steps.add(new Step(hasPayload.test(mount) ? Action.ADOPT_MOUNTED : Action.ADOPT_EMPTY, mount, status));
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
