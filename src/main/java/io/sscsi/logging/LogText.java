package io.sscsi.logging;

/**
 * Makes a value safe to put on one log line: control characters (a newline in a class name, a
 * provider's error message or a target path would otherwise start a forged line with a fake
 * timestamp) are written as escapes, {@code \n}, {@code \r}, {@code \t} or {@code \u001b}, and a
 * backslash as {@code \\} so that an escape in the input cannot pass for one of ours.
 */
public final class LogText {
  private LogText() {}

  public static String escape(String s) {
    if (s == null) {
      return null;
    }
    int i = 0;
    while (i < s.length() && !needsEscape(s.charAt(i))) {
      i++;
    }
    if (i == s.length()) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\\' -> b.append("\\\\");
        default -> {
          if (needsEscape(c)) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  /** C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the backslash. */
  private static boolean needsEscape(char c) {
    return c < 0x20 || c == '\\' || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}
