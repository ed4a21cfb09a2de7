package io.sscsi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Go's flag package rules, as a table: what a command line becomes, or Go's error for it. */
class GoFlagsTest {
  static final GoFlags FLAGS = new GoFlags(Map.of(
      "endpoint", GoFlags.Kind.VALUE, "v", GoFlags.Kind.VALUE, "version", GoFlags.Kind.BOOL,
      "enable-secret-rotation", GoFlags.Kind.BOOL, "logtostderr", GoFlags.Kind.BOOL, "log_dir", GoFlags.Kind.VALUE));

  static List<String> words(String line) {
    return line == null || line.isBlank() ? List.of() : Arrays.asList(line.trim().split(" +"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // command line                                        | picocli gets                                  | left over
      "--endpoint=unix:///csi/csi.sock                         | --endpoint=unix:///csi/csi.sock                 | ",
      "-endpoint=unix:///a                                     | --endpoint=unix:///a                            | ",
      "-endpoint unix:///a                                     | --endpoint=unix:///a                            | ",
      "--endpoint unix:///a                                    | --endpoint=unix:///a                            | ",
      "-v=5                                                    | --v=5                                           | ",
      "-v 5                                                    | --v=5                                           | ",
      "--v=5                                                   | --v=5                                           | ",
      "-version                                                | --version=true                                  | ",
      "--version                                               | --version=true                                  | ",
      "-version=false                                          | --version=false                                 | ",
      "--enable-secret-rotation=F                              | --enable-secret-rotation=F                      | ",
      "--enable-secret-rotation=false --enable-secret-rotation=true | --enable-secret-rotation=true             | ",
      "-endpoint=a --v=1 -endpoint=b                           | --v=1 --endpoint=b                              | ",
      "--endpoint -v                                           | --endpoint=-v                                   | ",
      "--endpoint=                                             | --endpoint=                                     | ",
      "--endpoint=a=b                                          | --endpoint=a=b                                  | ",
      "--logtostderr --log_dir /var/log                        | --logtostderr=true --log_dir=/var/log           | ",
      "--endpoint=a -- --v=3                                   | --endpoint=a                                    | --v=3",
      "--endpoint=a extra --v=3                                | --endpoint=a                                    | extra --v=3",
      "--version true                                          | --version=true                                  | true",
      "- --v=3                                                 |                                                 | - --v=3",
      "                                                        |                                                 | ",
      "--v=2 -h --no-such-flag                                 | --help                                          | ",
      "-help                                                   | --help                                          | "})
  void readsLikeGo(String line, String expected, String leftOver) {
    GoFlags.Parsed parsed = FLAGS.parse(words(line));
    assertEquals(words(expected).equals(List.of("--help")), parsed.helpAsked());
    assertEquals(words(expected), parsed.args());
    assertEquals(words(leftOver), parsed.leftOver());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "--no-such-flag                | flag provided but not defined: -no-such-flag",
      "-x=1                          | flag provided but not defined: -x",
      "--endpoint                    | flag needs an argument: -endpoint",
      "--endpoint=a -v               | flag needs an argument: -v",
      "---endpoint=a                 | bad flag syntax: ---endpoint=a",
      "-=a                           | bad flag syntax: -=a",
      "--enable-secret-rotation=yes  | invalid boolean value \"yes\" for -enable-secret-rotation: parse error",
      "--version=                    | invalid boolean value \"\" for -version: parse error"})
  void refusesLikeGo(String line, String message) {
    GoFlags.BadFlag e = assertThrows(GoFlags.BadFlag.class, () -> FLAGS.parse(words(line)));
    assertEquals(message, e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"1, true", "t, true", "T, true", "TRUE, true", "true, true", "True, true",
      "0, false", "f, false", "F, false", "FALSE, false", "false, false", "False, false"})
  void everyBooleanSpellingOfGo(String value, boolean expected) {
    GoFlags.Parsed parsed = FLAGS.parse(List.of("-enable-secret-rotation=" + value));
    assertEquals(List.of("--enable-secret-rotation=" + value), parsed.args());
    assertEquals(expected, new GoBool().convert(value));
    assertTrue(parsed.leftOver().isEmpty());
  }
}
