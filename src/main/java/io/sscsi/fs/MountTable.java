package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the kernel's mount table from {@code /proc/self/mountinfo} (or another file in the same
 * format) into {@link MountEntry} records, in mount order, with the kernel's octal escapes such as
 * {@code \040} for a space decoded. The authority on what is mounted where: {@link Mounter#inspect}
 * decides a target's {@link TargetOwnership} from one read, restart recovery finds our tmpfs mounts
 * under the kubelet pods directory, tests check what is left mounted.
 */
public final class MountTable {
  public static final Path SELF_MOUNTINFO = Path.of("/proc/self/mountinfo");

  private final Path mountinfo;

  public MountTable() {
    this(SELF_MOUNTINFO);
  }

  public MountTable(Path mountinfo) {
    this.mountinfo = mountinfo;
  }

  /**
   * All mounts, in the order the kernel lists them.
   *
   * @throws DriverException MOUNT_FAILED when the table cannot be read or parsed
   */
  public List<MountEntry> read() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(mountinfo);
    } catch (IOException e) {
      throw new DriverException(
          FailureKind.MOUNT_FAILED,
          "reading mount table " + PathText.quote(mountinfo) + " failed: " + PathText.describe(e),
          e);
    }
    return parse(new String(bytes, StandardCharsets.ISO_8859_1));
  }

  /** The mounts whose mount point is {@code prefix} or below it (compared element-wise). */
  public List<MountEntry> under(Path prefix) {
    Path p = prefix.toAbsolutePath().normalize();
    try {
      p = p.toRealPath();
    } catch (IOException e) {
      // a missing prefix is compared as written
    }
    List<MountEntry> out = new ArrayList<>();
    for (MountEntry e : read()) {
      if (e.mountPoint().startsWith(p)) {
        out.add(e);
      }
    }
    return out;
  }

  /** Parses mountinfo text given as ISO-8859-1 (one char per byte). */
  static List<MountEntry> parse(String text) {
    List<MountEntry> out = new ArrayList<>();
    String[] lines = text.split("\n");
    for (int n = 0; n < lines.length; n++) {
      if (!lines[n].isBlank()) {
        out.add(parseLine(lines[n], n + 1));
      }
    }
    return out;
  }

  // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
  private static MountEntry parseLine(String line, int lineNo) {
    String[] f = line.split(" ");
    int dash = -1;
    for (int i = 6; i < f.length; i++) {
      if (f[i].equals("-")) {
        dash = i;
        break;
      }
    }
    if (dash < 0 || dash + 2 >= f.length) {
      throw unparseable(lineNo);
    }
    try {
      return new MountEntry(
          Integer.parseInt(f[0]),
          Integer.parseInt(f[1]),
          f[2],
          unescape(f[3]),
          Path.of(unescape(f[4])),
          unescape(f[5]),
          unescape(f[dash + 1]),
          unescape(f[dash + 2]),
          dash + 3 < f.length ? unescape(f[dash + 3]) : "");
    } catch (RuntimeException e) {
      throw unparseable(lineNo);
    }
  }

  /** Decodes the kernel's {@code \ooo} escapes; input is one char per byte, output UTF-8. */
  static String unescape(String field) {
    if (field.indexOf('\\') < 0) {
      return new String(field.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\'
          && i + 3 < field.length()
          && isOctal(field.charAt(i + 1))
          && isOctal(field.charAt(i + 2))
          && isOctal(field.charAt(i + 3))) {
        out.write(Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isOctal(char c) {
    return c >= '0' && c <= '7';
  }

  private static DriverException unparseable(int lineNo) {
    return new DriverException(
        FailureKind.MOUNT_FAILED, "unparseable line " + lineNo + " in the mount table");
  }
}
