package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.types.u_int64_t;

/**
 * {@link Mounter} calling libc's {@code mount(2)} and {@code umount2(2)} through jnr-ffi. The tmpfs
 * is mounted with the {@link TmpfsOptions} given (none by default, as upstream) and an optional
 * {@code size=}. It is mounted through a file descriptor: the target's parent is opened and must
 * still be at its own path ({@code /proc/self/fd/N} names it), the target is opened from it with
 * {@code O_PATH|O_NOFOLLOW|O_DIRECTORY} (a link swapped in is refused, never followed), and the
 * tmpfs is mounted on {@code /proc/self/fd/N}; then the descriptor's path says where the mount
 * landed, and a mount that landed anywhere but the target (the directory was moved meanwhile) is
 * unmounted there and reported.
 * Unmounting repeats {@code umount2} until the kernel answers EINVAL (not a mount point) or ENOENT
 * (no such path), so mounts stacked at one path are all removed; more than 16 is an error. libc is
 * bound once per JVM, on first use.
 *
 * <p>It remembers the device ({@code major:minor}) of every tmpfs it mounted until it unmounts that
 * target, and {@link #inspect} calls a tmpfs at such a target foreign when its device differs: a
 * bind of another tmpfs laid over ours, whose original mount was removed or lives in another mount
 * namespace, looks like ours in the mount table and shows its device only once. A driver restarted
 * since the mount has no record; its adopted volumes rely on {@link TargetOwnership}'s rule alone.
 */
public final class JnrMounter implements Mounter {
  static final int ENOENT = 2;
  static final int ENOTDIR = 20;
  static final int EINVAL = 22;
  static final int ELOOP = 40;
  static final int MAX_STACKED_MOUNTS = 16;

  /** The libc functions we bind; public because jnr-ffi generates an implementation of it. */
  public interface LibC {
    int mount(String source, String target, String fstype, @u_int64_t long flags, String data);

    int umount2(String target, int flags);

    int open(String path, int flags, int mode);

    int openat(int dirfd, String path, int flags, int mode);

    int close(int fd);

    String strerror(int errnum);
  }

  private static final class Native {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
  }

  private final TmpfsOptions options;
  private final Runnable beforeMount;
  /** Target -> device of the tmpfs this mounter mounted there, until it unmounts that target. */
  private final Map<Path, String> mountedDevices = new ConcurrentHashMap<>();

  /** Mounts tmpfs without options, as upstream does. */
  public JnrMounter() {
    this(TmpfsOptions.NONE);
  }

  public JnrMounter(TmpfsOptions options) {
    this(options, () -> {});
  }

  /** For tests: {@code beforeMount} runs after the target was opened and before mount(2), as a racer would. */
  JnrMounter(TmpfsOptions options, Runnable beforeMount) {
    this.options = options;
    this.beforeMount = beforeMount;
  }

  @Override
  public void mountTmpfs(Path target, long sizeLimitBytes) {
    if (sizeLimitBytes < 0) {
      throw new IllegalArgumentException("negative tmpfs size limit " + sizeLimitBytes);
    }
    Path abs = target.toAbsolutePath().normalize();
    LibC libc = libc();
    int parentFd = openDirectory(libc, -1, abs.getParent(), abs, sizeLimitBytes);
    try {
      if (!landedAt(parentFd, abs).equals(abs.getParent())) {
        throw notOurs(abs, "its parent directory is reached through a symbolic link");
      }
      int fd = openDirectory(libc, parentFd, abs.getFileName(), abs, sizeLimitBytes);
      try {
        mountAt(libc, fd, abs, sizeLimitBytes);
      } finally {
        libc.close(fd);
      }
    } finally {
      libc.close(parentFd);
    }
  }

  private void mountAt(LibC libc, int fd, Path target, long sizeLimitBytes) {
    beforeMount.run();
    String data = options.mountData(sizeLimitBytes);
    if (libc.mount("tmpfs", fdPath(fd), "tmpfs", options.flags(), data) != 0) {
      int errno = Native.RUNTIME.getLastError();
      throw new DriverException(
          FailureKind.MOUNT_FAILED,
          "mounting tmpfs (" + options.describe(sizeLimitBytes) + ") at " + PathText.quote(target) + " failed: " + error(errno));
    }
    Path landed = landedAt(fd, target);
    if (!landed.equals(target)) {
      DriverException moved = notOurs(target, "the directory was moved to " + PathText.quote(landed)
          + " while mounting; the tmpfs mounted there was unmounted");
      if (libc.umount2(landed.toString(), UMOUNT_NOFOLLOW) != 0) {
        moved.addSuppressed(new DriverException(FailureKind.MOUNT_FAILED,
            "unmounting " + PathText.quote(landed) + " failed: " + error(Native.RUNTIME.getLastError())));
      }
      throw moved;
    }
    mountedDevices.put(target, deviceOf(target));
  }

  /**
   * As {@link Mounter#inspect}, and a tmpfs at a target this mounter mounted is foreign unless its
   * device is the one recorded at the mount.
   */
  @Override
  public TargetOwnership inspect(Path target) {
    TargetOwnership state = Mounter.super.inspect(target);
    String recorded = mountedDevices.get(target.toAbsolutePath().normalize());
    if (state instanceof TargetOwnership.OurTmpfs ours && recorded != null && !recorded.equals(ours.mount().device())) {
      return new TargetOwnership.Foreign(ours.mount());
    }
    return state;
  }

  /** The {@code major:minor} of the filesystem at {@code target}, as the mount table writes it. */
  private static String deviceOf(Path target) {
    try {
      long dev = (Long) Files.getAttribute(target, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
      long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
      return major + ":" + minor;
    } catch (IOException e) {
      throw new DriverException(FailureKind.TARGET_PATH_FAILED,
          "cannot stat " + PathText.quote(target) + " after mounting it: " + PathText.describe(e), e);
    }
  }

  /** Opens directory {@code name} (relative to {@code dirFd}, or absolute) as an O_PATH descriptor, never through a link. */
  private int openDirectory(LibC libc, int dirFd, Path name, Path target, long sizeLimitBytes) {
    int flags = OpenFlags.O_PATH | OpenFlags.O_NOFOLLOW | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC;
    int fd = dirFd < 0 ? libc.open(name.toString(), flags, 0) : libc.openat(dirFd, name.toString(), flags, 0);
    if (fd < 0) {
      int errno = Native.RUNTIME.getLastError();
      if (errno == ENOTDIR || errno == ELOOP) {
        throw notOurs(target, PathText.quote(name) + " is a symbolic link or not a directory");
      }
      throw new DriverException(FailureKind.MOUNT_FAILED, "mounting tmpfs (" + options.describe(sizeLimitBytes)
          + ") at " + PathText.quote(target) + " failed: cannot open " + PathText.quote(name) + ": " + error(errno));
    }
    return fd;
  }

  /** Where the directory behind {@code fd} is now: the kernel's own path of it. */
  private static Path landedAt(int fd, Path target) {
    try {
      return Files.readSymbolicLink(Path.of(fdPath(fd)));
    } catch (IOException e) {
      throw new DriverException(FailureKind.TARGET_PATH_FAILED,
          "cannot read where " + PathText.quote(target) + " is: " + PathText.describe(e), e);
    }
  }

  private static String fdPath(int fd) {
    return "/proc/self/fd/" + fd;
  }

  private static DriverException notOurs(Path target, String why) {
    return new DriverException(FailureKind.TARGET_NOT_OURS,
        "refusing to mount at " + PathText.quote(target) + ": " + why);
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
          mountedDevices.remove(target.toAbsolutePath().normalize());
          return;
        }
        throw new DriverException(
            FailureKind.MOUNT_FAILED,
            "unmounting " + PathText.quote(path) + " failed: " + error(errno));
      }
    }
    if (!isMountPoint(target)) {
      mountedDevices.remove(target.toAbsolutePath().normalize());
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
