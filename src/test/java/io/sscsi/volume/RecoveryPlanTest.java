package io.sscsi.volume;

import static io.sscsi.volume.RecoveryPlan.Action.*;
import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.status.PodStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecoveryPlanTest {
  static final Path PODS = Path.of("/var/lib/kubelet/pods");

  static Path target(String uid, String vol) {
    return PODS.resolve(uid).resolve("volumes/kubernetes.io~csi").resolve(vol).resolve("mount");
  }

  static PodStatus status(String pod, String uid, Path target) {
    return new PodStatus(pod, "ns", uid, "spc", "node-1", target.toString(), Map.of("secret/a", "v1"));
  }

  @Test
  void decidesPerMount() {
    Path complete = target("u1", "a"), emptied = target("u2", "a"), gone = target("u3", "a"), foreign = target("u4", "a");
    Path edited = target("u5", "a");
    List<PodStatus> statuses = List.of(status("p1", "u1", complete), status("p2", "u2", emptied), status("p3", "u3", gone),
        // CVE-2020-8568: a status of pod u6 whose targetPath was edited to point at pod u5's volume
        status("p6", "u6", edited));
    Set<Path> withPayload = Set.of(complete, gone, edited);

    List<RecoveryPlan.Step> steps = RecoveryPlan.plan(PODS, List.of(complete, emptied, gone, foreign, edited), statuses,
        withPayload::contains, s -> !s.podUid().equals("u3"));

    assertEquals(List.of(
        new RecoveryPlan.Step(ADOPT_MOUNTED, complete, statuses.get(0)),
        new RecoveryPlan.Step(ADOPT_EMPTIED, emptied, statuses.get(1)),
        new RecoveryPlan.Step(CLEAN_UP, gone, statuses.get(2))), steps,
        "a mount without a status of this node, or whose status names another pod, is left alone");
  }

  @Test
  void podUidOnlyFromKubeletsLayout() {
    assertEquals("u1", RecoveryPlan.podUidOf(PODS, target("u1", "v")));
    assertEquals("", RecoveryPlan.podUidOf(PODS, Path.of("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/v")));
    assertEquals("", RecoveryPlan.podUidOf(PODS, Path.of("/etc/secrets/mount")));
    assertEquals("", RecoveryPlan.podUidOf(PODS, Path.of("/var/lib/kubelet/pods/../x/volumes/kubernetes.io~csi/v/mount")));
  }
}
