package io.sscsi.synccontroller;

import java.util.Arrays;
import java.util.List;

/**
 * Pure: {@code --token-request-audience}, a comma list. Spaces around each audience are trimmed and
 * empty entries dropped: SSC's chart joins its audiences with ", " while SSC's binary splits on ","
 * alone, so with SSC a second audience starts with a space (and its token policy refuses it).
 */
public final class Audiences {
  private Audiences() {}

  public static List<String> parse(String flag) {
    if (flag == null) {
      return List.of();
    }
    return Arrays.stream(flag.split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
  }
}
