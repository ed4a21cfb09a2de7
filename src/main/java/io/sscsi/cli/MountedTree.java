package io.sscsi.cli;

import io.sscsi.fs.MountedFiles;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The files a published volume shows an application, as the driver's atomic writer laid them out
 * (the {@code ..data} machinery hidden): relative path, permission bits and size, rendered as an
 * aligned table. Values are shown only when asked for ({@code --show-values}), truncated and with
 * control characters escaped; by default a value is never read into the output.
 */
public final class MountedTree {
  private static final int VALUE_CHARS = 60;

  private MountedTree() {}

  /** One visible file. */
  public record Entry(String path, int mode, long size, Path file) {}

  /** The visible files of {@code target}, sorted by path. */
  public static List<Entry> list(Path target) throws IOException {
    List<Entry> out = new ArrayList<>();
    for (Map.Entry<String, Path> f : new MountedFiles().list(target).entrySet()) {
      PosixFileAttributes attrs = Files.readAttributes(f.getValue(), PosixFileAttributes.class);
      out.add(new Entry(f.getKey(), mode(attrs), attrs.size(), f.getValue()));
    }
    return out;
  }

  /** Table lines, each starting with {@code indent}. */
  public static List<String> render(List<Entry> entries, boolean showValues, String indent) throws IOException {
    int width = Math.max(4, entries.stream().mapToInt(e -> e.path().length()).max().orElse(0));
    List<String> lines = new ArrayList<>();
    lines.add(indent + pad("PATH", width) + "  MODE  " + String.format("%8s", "SIZE") + "  VALUE"
        + (showValues ? "" : " (--show-values prints it)"));
    for (Entry e : entries) {
      String value = showValues ? value(Files.readAllBytes(e.file())) : "hidden";
      lines.add(indent + pad(e.path(), width) + "  " + String.format("%04o", e.mode()) + "  "
          + String.format("%8s", e.size() + " B") + "  " + value);
    }
    return lines;
  }

  static String value(byte[] bytes) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return "<" + bytes.length + " bytes of binary>";
    }
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < text.length() && b.length() <= VALUE_CHARS; i++) {
      char c = text.charAt(i);
      b.append(c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '"' ? "\\\"" : c < 0x20 ? String.format("\\x%02x", (int) c)
          : String.valueOf(c));
    }
    return b.length() > VALUE_CHARS ? b.substring(0, VALUE_CHARS) + "...\"" : b.append('"').toString();
  }

  private static int mode(PosixFileAttributes attrs) {
    int mode = 0;
    for (PosixFilePermission p : attrs.permissions()) {
      mode |= 1 << (8 - p.ordinal());
    }
    return mode;
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(Math.max(0, width - s.length()));
  }
}
