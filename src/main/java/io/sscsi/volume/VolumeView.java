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

  static VolumeView of(java.nio.file.Path target, String state, MountedVolume v, Instant nextRefresh) {
    String[] ids = KubeletTargetPath.parse(target).map(k -> new String[] {k.podUid(), k.volumeName()})
        .orElse(new String[] {"", ""});
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
