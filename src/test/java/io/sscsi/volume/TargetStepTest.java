package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sscsi.fs.MountEntry;
import io.sscsi.fs.TargetOwnership;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a publish or refresh does with an existing target, for the tmpfs mounter and the plain-directory one. */
class TargetStepTest {
  static final Path T = Path.of("/pods/u/volumes/kubernetes.io~csi/v/mount");
  static final TargetOwnership ABSENT = new TargetOwnership.Absent();
  static final TargetOwnership OURS = new TargetOwnership.OurTmpfs(entry(T, "tmpfs", "/"));
  static final TargetOwnership FOREIGN = new TargetOwnership.Foreign(entry(T, "ext4", "/srv"));
  static final TargetOwnership NESTED = new TargetOwnership.NestedMounts(List.of(entry(T.resolve("n"), "tmpfs", "/")));

  static Stream<Arguments> cases() {
    return Stream.of(
        // state, mounter calls it its volume, first publish, ..data present -> step
        Arguments.of("tmpfs mounter: nothing mounted", ABSENT, false, true, false, TargetStep.MOUNT),
        Arguments.of("tmpfs mounter: tmpfs gone under a known volume", ABSENT, false, false, false, TargetStep.MOUNT),
        Arguments.of("tmpfs mounter: our complete volume, first publish", OURS, true, true, true, TargetStep.REUSE),
        Arguments.of("tmpfs mounter: our volume, refresh", OURS, true, false, true, TargetStep.REUSE),
        Arguments.of("tmpfs mounter: a cut publish, first publish", OURS, true, true, false, TargetStep.TAKE_OVER_CUT),
        Arguments.of("tmpfs mounter: no payload on refresh (kept)", OURS, true, false, false, TargetStep.REUSE),
        Arguments.of("tmpfs mounter: foreign", FOREIGN, false, true, false, TargetStep.REFUSE),
        Arguments.of("tmpfs mounter: nested", NESTED, false, false, true, TargetStep.REFUSE),
        Arguments.of("directory mounter: plain directory", ABSENT, true, true, false, TargetStep.REUSE),
        Arguments.of("directory mounter: a tmpfs is foreign to it", OURS, false, true, false, TargetStep.REFUSE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decides(String name, TargetOwnership state, boolean isVolume, boolean firstPublish, boolean hasPayload,
      TargetStep expected) {
    assertEquals(expected, TargetStep.decide(state, isVolume, firstPublish, () -> hasPayload));
  }

  private static MountEntry entry(Path at, String fsType, String root) {
    return new MountEntry(7, 1, "0:7", root, at, "rw", fsType, "tmpfs", "rw");
  }
}
