package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
    return scanFile((t, start, end) -> !t.isBlank());
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
    String prefix = escaped(path.toAbsolutePath().normalize());
    return scanFile((t, start, end) -> mountPointField(t, start, end, prefix));
  }

  /**
   * What {@link TargetOwnership#of} needs about real path {@code path}, from one read: the mounts at
   * or below it (as {@link #atOrBelow}) followed by every other mount of a device mounted at exactly
   * {@code path} (a tmpfs bound from elsewhere shows its device twice). Only those lines are parsed;
   * the others cost a field comparison. The table is read as a stream, a line at a time (a node with
   * 10,000 mounts has a ~5 MiB table: read whole, every call allocated it twice in one piece, which
   * Serial GC placed in the old generation); the second pass, for the devices, reads it again and
   * only when something is mounted at {@code path}.
   *
   * @throws DriverException MOUNT_FAILED when the table cannot be read or a matching line parsed
   */
  public List<MountEntry> atOrBelowWithTheirDevices(Path path) {
    String prefix = escaped(path.toAbsolutePath().normalize());
    List<MountEntry> near = scanFile((t, start, end) -> mountPointField(t, start, end, prefix));
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
    out.addAll(scanFile(
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

  /** Parses the lines of the table that pass {@code wanted}, reading it a buffer at a time. */
  private List<MountEntry> scanFile(LineTest wanted) {
    try (InputStream in = Files.newInputStream(mountinfo)) {
      return scan(in, wanted);
    } catch (IOException e) {
      throw new DriverException(
          FailureKind.MOUNT_FAILED,
          "reading mount table " + PathText.quote(mountinfo) + " failed: " + PathText.describe(e),
          e);
    }
  }

  /**
   * Parses the lines of {@code in} (one char per byte, lines split at newline only, as the kernel
   * escapes every other separator) that pass {@code wanted}; the others are only tested.
   */
  private static List<MountEntry> scan(InputStream in, LineTest wanted) throws IOException {
    List<MountEntry> out = new ArrayList<>();
    byte[] buffer = new byte[16 * 1024];
    StringBuilder line = new StringBuilder(256);
    int lineNo = 0;
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      for (int i = 0; i < n; i++) {
        if (buffer[i] == '\n') {
          keepIfWanted(line.toString(), ++lineNo, wanted, out);
          line.setLength(0);
        } else {
          line.append((char) (buffer[i] & 0xff));
        }
      }
    }
    if (line.length() > 0) {
      keepIfWanted(line.toString(), ++lineNo, wanted, out);
    }
    return out;
  }

  private static void keepIfWanted(String line, int lineNo, LineTest wanted, List<MountEntry> out) {
    if (wanted.test(line, 0, line.length())) {
      out.add(parseLine(line, lineNo));
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

  /** Parses the lines of {@code text} that pass {@code wanted}; the others are only tested. */
  private static List<MountEntry> parseWhere(String text, LineTest wanted) {
    try {
      return scan(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)), wanted);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array stream does not fail
    }
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

  /** Parses mountinfo text given as ISO-8859-1 (one char per byte); blank lines are skipped. */
  static List<MountEntry> parse(String text) {
    return parseWhere(text, (t, start, end) -> !t.isBlank());
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
