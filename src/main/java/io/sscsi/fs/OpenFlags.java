package io.sscsi.fs;

/**
 * The Linux {@code open(2)} flags {@link JnrMounter} uses. Two differ between architectures: arm and
 * arm64 number {@code O_DIRECTORY} and {@code O_NOFOLLOW} differently from x86_64 and the generic table.
 */
final class OpenFlags {
  private OpenFlags() {}

  private static final boolean ARM = System.getProperty("os.arch", "").startsWith("aarch64")
      || System.getProperty("os.arch", "").startsWith("arm");

  static final int O_DIRECTORY = ARM ? 040000 : 0200000;
  static final int O_NOFOLLOW = ARM ? 0100000 : 0400000;
  static final int O_CLOEXEC = 02000000;
  static final int O_PATH = 010000000;
}
