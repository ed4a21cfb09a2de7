package io.sscsi.volume;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Pure: kubelet's target path for a CSI volume, {@code <podsDir>/<podUid>/volumes/kubernetes.io~csi/<volume>/mount}
 * (upstream validates the same layout). The one place that parses it.
 *
 * @param podsDir kubelet's pods directory
 * @param podUid the pod's uid
 * @param volumeName the pod's volume name
 */
public record KubeletTargetPath(Path podsDir, String podUid, String volumeName) {

  /** The parts of {@code target}, when it has kubelet's layout (normalised, no {@code ..}). */
  public static Optional<KubeletTargetPath> parse(Path target) {
    Path t = target.normalize();
    int n = t.getNameCount();
    if (!t.equals(target) || n < 6 || !t.getFileName().toString().equals("mount")
        || !t.getName(n - 3).toString().equals("kubernetes.io~csi")
        || !t.getName(n - 4).toString().equals("volumes") || !t.getName(n - 6).toString().equals("pods")) {
      return Optional.empty();
    }
    Path podsDir = t.getRoot() == null ? t.subpath(0, n - 5) : t.getRoot().resolve(t.subpath(0, n - 5));
    return Optional.of(new KubeletTargetPath(podsDir, t.getName(n - 5).toString(), t.getName(n - 2).toString()));
  }
}
