package io.sscsi.volume;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One volume as the admin endpoint shows it: who mounts it, from where, which object versions, how
 * its refreshes went. Never a secret value: object ids and versions only.
 *
 * @param state {@code idle} (nothing mounted by this driver), {@code adopted} (found mounted at start,
 *     not yet republished by kubelet: its provider is not known yet), {@code mounted}, or {@code busy}
 *     (a publish, refresh or unpublish is running; the other fields show the volume as it was before)
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

  static VolumeView of(Path target, VolumeState state, boolean busy, Optional<Instant> nextRefresh) {
    String[] ids = KubeletTargetPath.parse(target).map(k -> new String[] {k.podUid(), k.volumeName()})
        .orElse(new String[] {"", ""});
    if (state instanceof VolumeState.Mounted mounted) {
      MountedVolume v = mounted.volume();
      PublishRequest r = v.request();
      return new VolumeView(target.toString(), ids[0], ids[1], r.podName(), r.podNamespace(), r.className(),
          v.provider().value(), busy ? "busy" : "mounted", v.versions(), v.lastSuccess(), v.lastAttempt(),
          v.lastError().isPresent() ? "failed" : "ok", v.lastError().orElse(""), nextRefresh.orElse(null));
    }
    if (state instanceof VolumeState.Adopted adopted) {
      AdoptedVolume v = adopted.volume();
      return new VolumeView(target.toString(), ids[0], ids[1], v.status().podName(), v.status().podNamespace(),
          v.status().className(), "", busy ? "busy" : "adopted", v.versions(), v.payloadTime(), v.lastAttempt(),
          v.lastError().isPresent() ? "failed" : "ok", v.lastError().orElse(""), null);
    }
    return new VolumeView(target.toString(), ids[0], ids[1], "", "", "", "", busy ? "busy" : "idle", Map.of(),
        null, null, "", "", null);
  }
}
