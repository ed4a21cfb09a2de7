package io.sscsi.volume;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * One volume as the admin endpoint shows it: who mounts it, from where, which object versions, how
 * its refreshes went. Never a secret value: object ids and versions only.
 *
 * @param state {@code mounted}, {@code busy} (a publish, refresh or unpublish is running) or {@code idle}
 */
public record VolumeView(
    String targetPath,
    String podUid,
    String volumeName,
    String podName,
    String namespace,
    String secretProviderClass,
    String provider,
    String state,
    Map<String, String> objects,
    Instant lastRefresh,
    Instant lastAttempt,
    String lastResult,
    String lastError,
    Instant nextRefresh) {

  public VolumeView {
    objects = new TreeMap<>(objects);
  }

  /** Kubelet's layout {@code .../pods/<uid>/volumes/kubernetes.io~csi/<volume>/mount}, else empty strings. */
  static String[] podUidAndVolume(java.nio.file.Path target) {
    int n = target.getNameCount();
    if (n >= 6 && target.getFileName().toString().equals("mount")
        && target.getName(n - 3).toString().equals("kubernetes.io~csi")
        && target.getName(n - 4).toString().equals("volumes") && target.getName(n - 6).toString().equals("pods")) {
      return new String[] {target.getName(n - 5).toString(), target.getName(n - 2).toString()};
    }
    return new String[] {"", ""};
  }

  static VolumeView of(java.nio.file.Path target, String state, MountedVolume v, Instant nextRefresh) {
    String[] ids = podUidAndVolume(target);
    if (v == null) {
      return new VolumeView(target.toString(), ids[0], ids[1], "", "", "", "", state, Map.of(), null, null,
          "", "", null);
    }
    PublishRequest r = v.request();
    return new VolumeView(target.toString(), ids[0], ids[1], r.podName(), r.podNamespace(), r.className(),
        v.provider(), state, v.versions(), v.lastSuccess(), v.lastAttempt(),
        v.lastError().isPresent() ? "failed" : "ok", v.lastError().orElse(""), nextRefresh);
  }
}
