package io.sscsi.fs;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * One line of {@code /proc/self/mountinfo}, escapes decoded: where it is mounted, the filesystem
 * type and source, the per-mount options ({@code rw,nosuid,nodev,noexec,relatime}) and the
 * filesystem's own options ({@code rw,size=1024k,mode=755}).
 */
public record MountEntry(
    int mountId,
    int parentId,
    String device,
    String root,
    Path mountPoint,
    String mountOptions,
    String fsType,
    String source,
    String superOptions) {

  /** True when the per-mount options contain {@code option} (e.g. {@code nosuid}). */
  boolean hasMountOption(String option) {
    return Arrays.asList(mountOptions.split(",")).contains(option);
  }

  /** The value of {@code key=value} in the filesystem options, e.g. {@code size}. */
  Optional<String> superOption(String key) {
    for (String o : superOptions.split(",")) {
      if (o.startsWith(key + "=")) {
        return Optional.of(o.substring(key.length() + 1));
      }
    }
    return Optional.empty();
  }
}
