package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules provider-returned files must pass before anything is written; one bad file rejects
 * the whole payload with {@link FailureKind#PROVIDER_BAD_PAYLOAD}. Always: upstream's path rules
 * (non-empty, relative, at most 4096 bytes, no {@code ..} element, elements at most 255 bytes,
 * first element not starting with {@code ..} so {@code ..data} and the timestamped directories
 * cannot be hit, already clean in the sense of Go's {@code filepath.Clean}), no NUL character and no
 * path that is also a directory of another file (upstream's writer fails on both). Modes and
 * duplicates depend on the {@link Policy}: upstream keeps {@code mode & 0777} and the last of
 * duplicate paths; {@code --strict-payload} refuses modes outside {@code 0..0777} and duplicates.
 * Messages name the path and the rule and never the contents.
 */
public final class PayloadRules {
  static final int MAX_PATH_BYTES = 4096;
  static final int MAX_ELEMENT_BYTES = 255;
  static final int MAX_MODE = 0777;

  /** How modes outside {@code 0..0777} and duplicate paths are treated. */
  public enum Policy {
    /** Upstream's: the mode's permission bits ({@code mode & 0777}); the last of duplicate paths wins. */
    UPSTREAM,
    /** {@code --strict-payload}: either one rejects the whole payload. */
    STRICT
  }

  private PayloadRules() {}

  /**
   * The files to write for a provider's payload under {@code policy}: with {@link Policy#STRICT}
   * exactly {@link #validate}; with {@link Policy#UPSTREAM} modes masked to {@code 0777} and, of
   * duplicate paths, only the last (at its position), then {@link #validate}.
   *
   * @throws DriverException PROVIDER_BAD_PAYLOAD naming the first offending path and its rule
   */
  public static List<PayloadFile> accept(List<PayloadFile> files, Policy policy) {
    if (policy == Policy.STRICT) {
      return validate(files);
    }
    Map<String, PayloadFile> last = new LinkedHashMap<>();
    boolean changed = false;
    for (PayloadFile f : files) {
      PayloadFile kept = f;
      if ((f.mode() & ~MAX_MODE) != 0) {
        kept = new PayloadFile(f.path(), f.mode() & MAX_MODE, f.rawContents());
        changed = true;
      }
      if (last.remove(f.path()) != null) {
        changed = true;
      }
      last.put(f.path(), kept);
    }
    return validate(changed ? List.copyOf(last.values()) : files);
  }

  /**
   * Returns {@code files} unchanged when every rule holds, the strict ones included.
   *
   * @throws DriverException PROVIDER_BAD_PAYLOAD naming the first offending path and its rule
   */
  public static List<PayloadFile> validate(List<PayloadFile> files) {
    Set<String> paths = new HashSet<>();
    for (PayloadFile f : files) {
      checkPath(f.path());
      checkMode(f.path(), f.mode());
      if (!paths.add(f.path())) {
        throw bad(f.path(), "the path appears more than once in the payload");
      }
    }
    for (String p : paths) {
      for (int i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
        String dir = p.substring(0, i);
        if (paths.contains(dir)) {
          throw bad(dir, "the path is a file and also a directory of " + PathText.quote(p));
        }
      }
    }
    return files;
  }

  private static void checkPath(String p) {
    if (p.isEmpty()) {
      throw bad(p, "the path is empty");
    }
    if (p.indexOf('\0') >= 0) {
      throw bad(p, "the path contains a NUL character");
    }
    if (p.startsWith("/")) {
      throw bad(p, "the path is absolute; it must be relative to the volume");
    }
    // Go's len() counts UTF-8 bytes
    if (utf8Length(p) > MAX_PATH_BYTES) {
      throw bad(p, "the path is longer than " + MAX_PATH_BYTES + " bytes");
    }
    String[] elements = p.split("/", -1);
    for (String e : elements) {
      if (e.equals("..")) {
        throw bad(p, "the path contains a '..' element");
      }
      if (utf8Length(e) > MAX_ELEMENT_BYTES) {
        throw bad(p, "a path element is longer than " + MAX_ELEMENT_BYTES + " bytes");
      }
    }
    if (elements[0].startsWith("..")) {
      throw bad(p, "the first path element starts with '..', which is reserved for the volume");
    }
    // With no '..' element and no leading '/', Go's filepath.Clean(p) == p exactly when no
    // element is empty (a//b, a/, trailing slash) and none is '.' (./a, a/./b, .).
    for (String e : elements) {
      if (e.isEmpty() || e.equals(".")) {
        throw bad(p, "the path is not clean (empty or '.' element, or trailing slash)");
      }
    }
  }

  private static void checkMode(String p, int mode) {
    if (mode < 0 || mode > MAX_MODE) {
      throw bad(
          p,
          "the mode "
              + (mode < 0 ? String.valueOf(mode) : "0" + Integer.toOctalString(mode))
              + " is outside 0..0777");
    }
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static DriverException bad(String path, String rule) {
    return new DriverException(
        FailureKind.PROVIDER_BAD_PAYLOAD,
        "invalid file " + PathText.quote(path) + ": " + rule);
  }
}
