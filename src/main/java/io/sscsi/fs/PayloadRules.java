package io.sscsi.fs;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The rules every provider-returned file must pass before anything is written; one bad file
 * rejects the whole payload with {@link FailureKind#PROVIDER_BAD_PAYLOAD}. They are upstream's
 * path rules (non-empty, relative, at most 4096 characters, no {@code ..} element, elements at most
 * 255 characters, first element not starting with {@code ..} so {@code ..data} and the timestamped
 * directories cannot be hit, already clean in the sense of Go's {@code filepath.Clean}) plus ours:
 * no NUL character, mode within {@code 0..0777} (no setuid, setgid or sticky bits), no duplicate
 * paths, and no path that is also a directory of another file. Messages name the path and the rule
 * and never the contents.
 */
public final class PayloadRules {
  static final int MAX_PATH_CHARS = 4096;
  static final int MAX_ELEMENT_CHARS = 255;
  static final int MAX_MODE = 0777;

  private PayloadRules() {}

  /**
   * Returns {@code files} unchanged when every rule holds.
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
    if (p.length() > MAX_PATH_CHARS) {
      throw bad(p, "the path is longer than " + MAX_PATH_CHARS + " characters");
    }
    String[] elements = p.split("/", -1);
    for (String e : elements) {
      if (e.equals("..")) {
        throw bad(p, "the path contains a '..' element");
      }
      if (e.length() > MAX_ELEMENT_CHARS) {
        throw bad(p, "a path element is longer than " + MAX_ELEMENT_CHARS + " characters");
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

  private static DriverException bad(String path, String rule) {
    return new DriverException(
        FailureKind.PROVIDER_BAD_PAYLOAD,
        "invalid file " + PathText.quote(path) + ": " + rule);
  }
}
