package io.sscsi.fs;

/**
 * The Linux {@code open(2)} flags {@link JnrMounter} uses. Two differ between architectures: arm,
 * arm64 and powerpc number {@code O_DIRECTORY} and {@code O_NOFOLLOW} differently from x86_64 and
 * the generic table.
 */
final class OpenFlags {
  private OpenFlags() {}

  private static final String ARCH = System.getProperty("os.arch", "");
  private static final boolean ARM_STYLE = ARCH.startsWith("aarch64") || ARCH.startsWith("arm") || ARCH.startsWith("ppc");

  static final int O_DIRECTORY = ARM_STYLE ? 040000 : 0200000;
  static final int O_NOFOLLOW = ARM_STYLE ? 0100000 : 0400000;
  static final int O_CLOEXEC = 02000000;
  static final int O_PATH = 010000000;
}
