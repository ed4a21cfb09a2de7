package io.sscsi.config;

import picocli.CommandLine.ITypeConverter;

/** Go's {@code strconv.ParseBool}: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. */
public final class GoBool implements ITypeConverter<Boolean> {
  @Override
  public Boolean convert(String value) {
    return switch (value) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> throw new IllegalArgumentException("'" + value + "' is not a boolean (true or false)");
    };
  }

  /** Whether Go's {@code strconv.ParseBool} takes {@code value}. */
  public static boolean valid(String value) {
    try {
      new GoBool().convert(value);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
