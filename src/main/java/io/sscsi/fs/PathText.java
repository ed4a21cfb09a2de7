package io.sscsi.fs;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * Renders paths and I/O failures for error messages: paths are quoted, control characters are
 * escaped as {@code \xNN} so a NUL or newline cannot garble a log line, and paths are cut to 120
 * characters followed by {@code "..."} so a hostile 5000-character path cannot flood one.
 */
final class PathText {
  static final int MAX_CHARS = 120;

  private PathText() {}

  static String quote(String path) {
    StringBuilder sb = new StringBuilder(Math.min(path.length(), MAX_CHARS) + 8);
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
      if (sb.length() >= MAX_CHARS) {
        if (i + 1 < path.length() || sb.length() > MAX_CHARS) {
          sb.setLength(MAX_CHARS);
          sb.append("...");
        }
        break;
      }
    }
    return "\"" + sb + "\"";
  }

  static String quote(Path path) {
    return quote(String.valueOf(path));
  }

  /** An IOException as text naming the file and reason (NIO never puts file contents there). */
  static String describe(IOException e) {
    if (e instanceof FileSystemException fse && fse.getFile() != null) {
      String reason = fse.getReason() == null ? "" : ": " + fse.getReason();
      String other = fse.getOtherFile() == null ? "" : " -> " + PathText.quote(fse.getOtherFile());
      return e.getClass().getSimpleName() + " on " + PathText.quote(fse.getFile()) + other + reason;
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
