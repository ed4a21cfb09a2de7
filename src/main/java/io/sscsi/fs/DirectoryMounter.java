package io.sscsi.fs;

import java.nio.file.Path;

/**
 * A {@link Mounter} that mounts nothing: a volume is the plain directory the publish workflow
 * created, so its files land on whatever disk holds the target. For laptops and the demo only
 * ({@code driver --no-tmpfs}, which requires local mode), where the driver is not root and cannot
 * call mount(2); on a node secrets must stay in memory, so the driver never uses it there. Its
 * volumes are plain directories, so a target with nothing mounted at or below it is a volume; a
 * target that is really mounted is foreign (this mounter never mounts), and is neither written into
 * nor emptied.
 */
public final class DirectoryMounter implements Mounter {

  /** Nothing to do: the workflow already created {@code target}. */
  @Override
  public void mountTmpfs(Path target, long sizeLimitBytes) {}

  /** Nothing to do: there is no mount; the caller deletes the directory. */
  @Override
  public void unmount(Path target) {}

  /** A plain directory, nothing mounted at or below it. */
  @Override
  public boolean isVolume(TargetOwnership state) {
    return state instanceof TargetOwnership.Absent;
  }
}
