package io.sscsi.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PayloadRulesTest {
  private static final byte[] SECRET = "TOP-SECRET-VALUE".getBytes(StandardCharsets.UTF_8);
  private static final String LONG_PATH = "abcd/".repeat(1000) + "x"; // 5001 chars
  private static final String MAX_PATH = "abcd/".repeat(819) + "x"; // 4096 chars

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("empty", "", 0644, "empty"),
        Arguments.of("absolute", "/etc/x", 0644, "absolute"),
        Arguments.of("absolute root", "/", 0644, "absolute"),
        Arguments.of("parent first", "../x", 0644, "'..' element"),
        Arguments.of("parent escapes", "a/../../x", 0644, "'..' element"),
        Arguments.of("parent last", "a/..", 0644, "'..' element"),
        Arguments.of("too long", LONG_PATH, 0644, "longer than 4096 bytes"),
        Arguments.of("element 256", "y".repeat(256), 0644, "longer than 255 bytes"),
        Arguments.of("nested element 256", "a/" + "y".repeat(256) + "/b", 0644, "longer than 255"),
        Arguments.of("..data", "..data", 0644, "starts with '..'"),
        Arguments.of("..data nested", "..data/x", 0644, "starts with '..'"),
        Arguments.of("..sneaky", "..sneaky", 0644, "starts with '..'"),
        Arguments.of("timestamp dir", "..2026_01_02_03_04_05.1/x", 0644, "starts with '..'"),
        Arguments.of("double slash", "a//b", 0644, "not clean"),
        Arguments.of("dot first", "./a", 0644, "not clean"),
        Arguments.of("trailing slash", "a/", 0644, "not clean"),
        Arguments.of("dot middle", "a/./b", 0644, "not clean"),
        Arguments.of("dot", ".", 0644, "not clean"),
        Arguments.of("dot last", "a/.", 0644, "not clean"),
        Arguments.of("NUL", "a\0b", 0644, "NUL"),
        Arguments.of("setuid 04777", "a", 2559, "mode 04777"),
        Arguments.of("sticky 01000", "a", 01000, "mode 01000"),
        Arguments.of("negative mode", "a", -1, "mode -1"),
        Arguments.of("huge mode", "a", 0100644, "outside 0..0777"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejects(String name, String path, int mode, String rule) {
    List<PayloadFile> files = List.of(new PayloadFile("ok", 0644, SECRET), file(path, mode));
    DriverException e = assertThrows(DriverException.class, () -> PayloadRules.validate(files));
    assertEquals(FailureKind.PROVIDER_BAD_PAYLOAD, e.kind());
    assertTrue(e.getMessage().contains(rule), e.getMessage());
    assertTrue(e.getMessage().contains(PathText.quote(path)), e.getMessage());
    assertFalse(e.getMessage().contains("TOP-SECRET"), e.getMessage());
    assertTrue(e.getMessage().length() < 300, "message is bounded: " + e.getMessage().length());
  }

  static Stream<Arguments> valid() {
    return Stream.of(
        Arguments.of("plain", "a", 0644),
        Arguments.of("nested", "a/b/c", 0644),
        Arguments.of("dots later", "a/..b/..data", 0644),
        Arguments.of("dots suffix", "a..", 0644),
        Arguments.of("hidden", ".hidden", 0644),
        Arguments.of("three dots later", "a/...", 0644),
        Arguments.of("backslash", "a\\b", 0644),
        Arguments.of("element 255", "y".repeat(255), 0644),
        Arguments.of("path 4096", MAX_PATH, 0644),
        Arguments.of("mode 0", "a", 0),
        Arguments.of("mode 0777", "a", 0777),
        Arguments.of("mode 0400", "a", 0400));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void accepts(String name, String path, int mode) {
    List<PayloadFile> files = List.of(file(path, mode));
    assertSame(files, PayloadRules.validate(files));
  }

  @Test
  void emptyListIsValid() {
    assertSame(List.of(), PayloadRules.validate(List.of()));
  }

  @Test
  void longPathIsTruncatedInTheMessage() {
    DriverException e =
        assertThrows(
            DriverException.class, () -> PayloadRules.validate(List.of(file(LONG_PATH, 0644))));
    assertTrue(e.getMessage().contains("\"" + LONG_PATH.substring(0, 120) + "...\""));
    assertFalse(e.getMessage().contains(LONG_PATH.substring(0, 121)));
  }

  @Test
  void nulIsEscapedInTheMessage() {
    DriverException e =
        assertThrows(DriverException.class, () -> PayloadRules.validate(List.of(file("a\0b", 0))));
    assertTrue(e.getMessage().contains("\"a\\x00b\""), e.getMessage());
    assertFalse(e.getMessage().contains("\0"));
  }

  @Test
  void rejectsDuplicatePaths() {
    DriverException e =
        assertThrows(
            DriverException.class,
            () ->
                PayloadRules.validate(
                    List.of(file("a/b", 0644), file("c", 0), file("a/b", 0600))));
    assertEquals(FailureKind.PROVIDER_BAD_PAYLOAD, e.kind());
    assertTrue(e.getMessage().contains("\"a/b\""), e.getMessage());
    assertTrue(e.getMessage().contains("more than once"), e.getMessage());
  }

  /** Issue 13 item 9: upstream's writer chmods {@code mode & 0777}; its map keeps the last duplicate. */
  @Test
  void upstreamPolicyMasksModesAndKeepsTheLastDuplicate() {
    List<PayloadFile> given = List.of(file("setuid", 04755), file("a/b", 0644), file("neg", -1),
        new PayloadFile("a/b", 0600, "LAST".getBytes(StandardCharsets.UTF_8)), file("c", 0400));
    List<PayloadFile> kept = PayloadRules.accept(given, PayloadRules.Policy.UPSTREAM);
    assertEquals(List.of(file("setuid", 0755), file("neg", 0777),
        new PayloadFile("a/b", 0600, "LAST".getBytes(StandardCharsets.UTF_8)), file("c", 0400)), kept);
    List<PayloadFile> clean = List.of(file("x", 0644), file("y/z", 0));
    assertSame(clean, PayloadRules.accept(clean, PayloadRules.Policy.UPSTREAM), "nothing to repair: unchanged");
  }

  @Test
  void strictPolicyRefusesModesAndDuplicates() {
    assertThrows(DriverException.class,
        () -> PayloadRules.accept(List.of(file("setuid", 04755)), PayloadRules.Policy.STRICT));
    assertThrows(DriverException.class,
        () -> PayloadRules.accept(List.of(file("a", 0644), file("a", 0644)), PayloadRules.Policy.STRICT));
  }

  @ParameterizedTest
  @MethodSource("fileAndDirectory")
  void pathRulesHoldUnderBothPolicies(List<String> paths, String named) {
    List<PayloadFile> files = paths.stream().map(p -> file(p, 0644)).toList();
    for (PayloadRules.Policy policy : PayloadRules.Policy.values()) {
      assertThrows(DriverException.class, () -> PayloadRules.accept(files, policy), policy.name());
      assertThrows(DriverException.class,
          () -> PayloadRules.accept(List.of(file("../x", 0644), file("../x", 04777)), policy), policy.name());
    }
  }

  /** Go's len() counts bytes: 128 two-byte characters make a 256-byte element. */
  @Test
  void lengthsAreCountedInUtf8Bytes() {
    assertThrows(DriverException.class, () -> PayloadRules.validate(List.of(file("é".repeat(128), 0644))));
    List<PayloadFile> fits = List.of(file("é".repeat(127) + "x", 0644));
    assertSame(fits, PayloadRules.validate(fits));
    assertThrows(DriverException.class,
        () -> PayloadRules.validate(List.of(file(("é".repeat(120) + "/").repeat(20) + "x", 0644))));
  }

  static Stream<Arguments> fileAndDirectory() {
    return Stream.of(
        Arguments.of(List.of("a", "a/b"), "\"a\""),
        Arguments.of(List.of("a/b/c", "a"), "\"a\""),
        Arguments.of(List.of("x", "a/b", "a/b/c/d"), "\"a/b\""));
  }

  @ParameterizedTest
  @MethodSource("fileAndDirectory")
  void rejectsAFileThatIsAlsoADirectory(List<String> paths, String named) {
    List<PayloadFile> files = paths.stream().map(p -> file(p, 0644)).toList();
    DriverException e = assertThrows(DriverException.class, () -> PayloadRules.validate(files));
    assertTrue(e.getMessage().contains(named), e.getMessage());
    assertTrue(e.getMessage().contains("also a directory"), e.getMessage());
  }

  @Test
  void siblingsWithCommonPrefixAreFine() {
    List<PayloadFile> files = List.of(file("a", 0644), file("ab/c", 0644), file("a.b", 0644));
    assertSame(files, PayloadRules.validate(files));
  }

  @Test
  void payloadFileNeverPrintsContentsAndComparesByValue() {
    PayloadFile f = new PayloadFile("dir/key", 0640, SECRET);
    assertEquals("PayloadFile[path=\"dir/key\", mode=0640, bytes=16]", f.toString());
    PayloadFile same = new PayloadFile("dir/key", 0640, SECRET.clone());
    assertEquals(f, same);
    assertEquals(f.hashCode(), same.hashCode());
    assertNotEquals(f, new PayloadFile("dir/key", 0640, "other".getBytes(StandardCharsets.UTF_8)));
    assertNotEquals(f, new PayloadFile("dir/key", 0600, SECRET));
    byte[] copy = f.contents();
    copy[0] = 'X';
    assertEquals('T', f.contents()[0], "contents cannot be changed from outside");
  }

  private static PayloadFile file(String path, int mode) {
    return new PayloadFile(path, mode, SECRET);
  }
}
