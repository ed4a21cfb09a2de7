package io.sscsi.fs;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Pure: the options each volume's tmpfs is mounted with, from {@code --tmpfs-mount-options}.
 * Upstream mounts with none (root directory mode 1777, no size cap, files may be executed), and
 * so does the default. Hardening is opt-in, e.g. {@code nosuid,nodev,noexec,mode=0755}: the
 * mount flags {@code nosuid}, {@code nodev}, {@code noexec} and tmpfs's own options {@code size},
 * {@code nr_blocks}, {@code nr_inodes}, {@code mode}, {@code uid}, {@code gid}, {@code huge},
 * {@code mpol}, {@code noswap}, {@code inode32}, {@code inode64}. Anything else is refused at start.
 *
 * @param flags the {@code mount(2)} flags ({@code MS_NOSUID}, {@code MS_NODEV}, {@code MS_NOEXEC})
 * @param data tmpfs's options, in the order given
 */
public record TmpfsOptions(long flags, List<String> data) {
  static final long MS_NOSUID = 0x2;
  static final long MS_NODEV = 0x4;
  static final long MS_NOEXEC = 0x8;

  /** Upstream's: no options at all. */
  public static final TmpfsOptions NONE = new TmpfsOptions(0, List.of());

  private static final Set<String> PLAIN_DATA = Set.of("noswap", "inode32", "inode64");
  private static final Pattern SIZE = Pattern.compile("\\d+[kKmMgGtTpPeE%]?");
  private static final Pattern NUMBER = Pattern.compile("\\d+");

  public TmpfsOptions {
    data = List.copyOf(data);
  }

  /**
   * @throws IllegalArgumentException naming the first option tmpfs or mount(2) would not take
   */
  public static TmpfsOptions parse(String text) {
    long flags = 0;
    List<String> data = new ArrayList<>();
    for (String raw : text.split(",")) {
      String option = raw.trim();
      if (option.isEmpty()) {
        continue;
      }
      switch (option) {
        case "nosuid" -> flags |= MS_NOSUID;
        case "nodev" -> flags |= MS_NODEV;
        case "noexec" -> flags |= MS_NOEXEC;
        default -> data.add(checkData(option));
      }
    }
    return new TmpfsOptions(flags, data);
  }

  private static String checkData(String option) {
    if (PLAIN_DATA.contains(option)) {
      return option;
    }
    int eq = option.indexOf('=');
    String key = eq < 0 ? option : option.substring(0, eq);
    String value = eq < 0 ? "" : option.substring(eq + 1);
    boolean ok = switch (key) {
      case "size", "nr_blocks", "nr_inodes" -> SIZE.matcher(value).matches();
      case "mode" -> value.matches("[0-7]{1,4}");
      case "uid", "gid" -> NUMBER.matcher(value).matches();
      case "huge" -> Set.of("never", "always", "within_size", "advise", "deny", "force").contains(value);
      case "mpol" -> !value.isEmpty();
      default -> false;
    };
    if (!ok) {
      throw new IllegalArgumentException("--tmpfs-mount-options: '" + option + "' is not a tmpfs option"
          + " (nosuid, nodev, noexec, size=, nr_blocks=, nr_inodes=, mode=, uid=, gid=, huge=, mpol=, noswap,"
          + " inode32, inode64)");
    }
    return option;
  }

  /** Whether the options set {@code size=} themselves. */
  boolean setsSize() {
    return data.stream().anyMatch(o -> o.startsWith("size="));
  }

  /** The data string for {@code mount(2)}: tmpfs's options plus {@code size=} for a cap; null when none. */
  String mountData(long sizeLimitBytes) {
    List<String> all = new ArrayList<>(data);
    if (sizeLimitBytes > 0 && !setsSize()) {
      all.add("size=" + sizeLimitBytes);
    }
    return all.isEmpty() ? null : String.join(",", all);
  }

  /** The options as {@code mount -o} would show them, for messages. */
  public String describe() {
    return describe(0);
  }

  /** The options with a size cap of {@code sizeLimitBytes} (0 = none), for messages. */
  public String describe(long sizeLimitBytes) {
    List<String> all = new ArrayList<>();
    if ((flags & MS_NOSUID) != 0) {
      all.add("nosuid");
    }
    if ((flags & MS_NODEV) != 0) {
      all.add("nodev");
    }
    if ((flags & MS_NOEXEC) != 0) {
      all.add("noexec");
    }
    String mountData = mountData(sizeLimitBytes);
    if (mountData != null) {
      all.add(mountData);
    }
    return all.isEmpty() ? "no options" : String.join(",", all);
  }
}
