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
    return parse(readText());
  }

  /** The mounts whose mount point is {@code prefix} or below it (compared element-wise). */
  public List<MountEntry> under(Path prefix) {
    Path p = prefix.toAbsolutePath().normalize();
    try {
      p = p.toRealPath();
    } catch (IOException e) {
      // a missing prefix is compared as written
    }
    return atOrBelow(p);
  }

  /**
   * The mounts at real path {@code path} or below it, in the kernel's order: the same entries as
   * {@link #read()} filtered by mount point, but only their lines are parsed. A volume's every
   * publish and unpublish asks this, so the other mounts of the node cost one comparison each.
   *
   * @throws DriverException MOUNT_FAILED when the table cannot be read or a matching line parsed
   */
  public List<MountEntry> atOrBelow(Path path) {
    return parse(readText(), escaped(path.toAbsolutePath().normalize()));
  }

  /**
   * What {@link TargetOwnership#of} needs about real path {@code path}, from one read: the mounts at
   * or below it (as {@link #atOrBelow}) followed by every other mount of a device mounted at exactly
   * {@code path} (a tmpfs bound from elsewhere shows its device twice). Only those lines are parsed;
   * the others cost a field comparison.
   *
   * @throws DriverException MOUNT_FAILED when the table cannot be read or a matching line parsed
   */
  public List<MountEntry> atOrBelowWithTheirDevices(Path path) {
    String text = readText();
    String prefix = escaped(path.toAbsolutePath().normalize());
    List<MountEntry> near = parse(text, prefix);
    List<String> devices = new ArrayList<>();
    for (MountEntry e : near) {
      if (e.mountPoint().equals(path.toAbsolutePath().normalize()) && !devices.contains(e.device())) {
        devices.add(e.device());
      }
    }
    if (devices.isEmpty()) {
      return near;
    }
    List<MountEntry> out = new ArrayList<>(near);
    out.addAll(parseWhere(text,
        (t, start, end) -> !mountPointField(t, start, end, prefix) && deviceField(t, start, end, devices)));
    return out;
  }

  /** Whether the third field of the line in {@code text[start, end)} is one of {@code devices}. */
  private static boolean deviceField(String text, int start, int end, List<String> devices) {
    int field = start;
    for (int spaces = 0; spaces < 2; spaces++) {
      field = text.indexOf(' ', field);
      if (field < 0 || field >= end) {
        return false;
      }
      field++;
    }
    for (String d : devices) {
      int after = field + d.length();
      if (after < end && text.startsWith(d, field) && text.charAt(after) == ' ') {
        return true;
      }
    }
    return false;
  }

  private String readText() {
    try {
      return new String(Files.readAllBytes(mountinfo), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new DriverException(
          FailureKind.MOUNT_FAILED,
          "reading mount table " + PathText.quote(mountinfo) + " failed: " + PathText.describe(e),
          e);
    }
  }

  /** Parses the lines whose mount point field, as the kernel writes it, is {@code prefix} or below it. */
  static List<MountEntry> parse(String text, String prefix) {
    return parseWhere(text, (t, start, end) -> mountPointField(t, start, end, prefix));
  }

  /** A test on the line in {@code text[start, end)}, before it is parsed. */
  @FunctionalInterface
  private interface LineTest {
    boolean test(String text, int start, int end);
  }

  /** Parses the lines of {@code text} that pass {@code wanted}; the others are only scanned. */
  private static List<MountEntry> parseWhere(String text, LineTest wanted) {
    List<MountEntry> out = new ArrayList<>();
    int lineNo = 0;
    for (int start = 0; start < text.length(); ) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      lineNo++;
      if (wanted.test(text, start, end)) {
        out.add(parseLine(text.substring(start, end), lineNo));
      }
      start = end + 1;
    }
    return out;
  }

  /** Whether the fifth field of the line in {@code text[start, end)} is {@code prefix} or a path below it. */
  private static boolean mountPointField(String text, int start, int end, String prefix) {
    int field = start;
    for (int spaces = 0; spaces < 4; spaces++) {
      field = text.indexOf(' ', field);
      if (field < 0 || field >= end) {
        return false;
      }
      field++;
    }
    if (!text.startsWith(prefix, field)) {
      return false;
    }
    int after = field + prefix.length();
    if (after >= end) {
      return false;
    }
    char next = text.charAt(after);
    return next == ' ' || (next == '/' && !prefix.endsWith("/")) || prefix.endsWith("/");
  }

  /** {@code path} as the kernel writes a mount point: UTF-8 bytes, one char each, with space, tab, newline and backslash octal-escaped. */
  static String escaped(Path path) {
    byte[] utf8 = path.toString().getBytes(StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder(utf8.length + 8);
    for (byte raw : utf8) {
      int c = raw & 0xff;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
        b.append('\\').append((char) ('0' + (c >> 6))).append((char) ('0' + ((c >> 3) & 7))).append((char) ('0' + (c & 7)));
      } else {
        b.append((char) c);
      }
    }
    return b.toString();
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
