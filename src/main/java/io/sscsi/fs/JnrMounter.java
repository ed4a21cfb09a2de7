package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.types.u_int64_t;

/**
 * {@link Mounter} calling libc's {@code mount(2)} and {@code umount2(2)} through jnr-ffi. The tmpfs
 * is mounted with the {@link TmpfsOptions} given (none by default, as upstream) and an optional
 * {@code size=}.
 * Unmounting repeats {@code umount2} until the kernel answers EINVAL (not a mount point) or ENOENT
 * (no such path), so mounts stacked at one path are all removed; more than 16 is an error. libc is
 * bound once per JVM, on first use.
 */
public final class JnrMounter implements Mounter {
  static final int ENOENT = 2;
  static final int EINVAL = 22;
  static final int MAX_STACKED_MOUNTS = 16;

  /** The libc functions we bind; public because jnr-ffi generates an implementation of it. */
  public interface LibC {
    int mount(String source, String target, String fstype, @u_int64_t long flags, String data);

    int umount2(String target, int flags);

    String strerror(int errnum);
  }

  private static final class Native {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
  }

  private final TmpfsOptions options;

  /** Mounts tmpfs without options, as upstream does. */
  public JnrMounter() {
    this(TmpfsOptions.NONE);
  }

  public JnrMounter(TmpfsOptions options) {
    this.options = options;
  }

  @Override
  public void mountTmpfs(Path target, long sizeLimitBytes) {
    if (sizeLimitBytes < 0) {
      throw new IllegalArgumentException("negative tmpfs size limit " + sizeLimitBytes);
    }
    String data = options.mountData(sizeLimitBytes);
    String path = target.toAbsolutePath().toString();
    LibC libc = libc();
    if (libc.mount("tmpfs", path, "tmpfs", options.flags(), data) != 0) {
      int errno = Native.RUNTIME.getLastError();
      throw new DriverException(
          FailureKind.MOUNT_FAILED,
          "mounting tmpfs (" + options.describe(sizeLimitBytes) + ") at " + PathText.quote(path) + " failed: " + error(errno));
    }
  }

  /** Do not follow a symlink at the target: a target swapped for a link must not unmount its destination. */
  private static final int UMOUNT_NOFOLLOW = 8;

  @Override
  public void unmount(Path target) {
    String path = target.toAbsolutePath().toString();
    LibC libc = libc();
    for (int i = 0; i < MAX_STACKED_MOUNTS; i++) {
      if (libc.umount2(path, UMOUNT_NOFOLLOW) != 0) {
        int errno = Native.RUNTIME.getLastError();
        if (errno == EINVAL || errno == ENOENT) {
          return;
        }
        throw new DriverException(
            FailureKind.MOUNT_FAILED,
            "unmounting " + PathText.quote(path) + " failed: " + error(errno));
      }
    }
    if (!isMountPoint(target)) {
      return;
    }
    throw new DriverException(
        FailureKind.MOUNT_FAILED,
        PathText.quote(path) + " is still a mount point after " + MAX_STACKED_MOUNTS + " unmounts");
  }

  private static LibC libc() {
    try {
      return Native.LIBC;
    } catch (LinkageError e) {
      throw new DriverException(
          FailureKind.MOUNT_FAILED, "cannot bind libc mount functions: " + e, e);
    }
  }

  private static String error(int errno) {
    String text;
    try {
      text = Native.LIBC.strerror(errno);
    } catch (RuntimeException e) {
      text = null;
    }
    return (text == null ? "error" : text) + " (errno " + errno + ")";
  }
}
