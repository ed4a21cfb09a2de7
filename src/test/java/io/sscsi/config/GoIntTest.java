package io.sscsi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Go's integer flag syntax: base 0 for flag.IntVar, base 10 for klog's -v. */
class GoIntTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({"4194304, 4194304", "+7, 7", "-7, -7", "0x400000, 4194304", "0X1f, 31", "0o17, 15", "017, 15",
      "0b101, 5", "0, 0", "00, 0", "1_000, 1000", "0x_1F, 31", "0_7, 7"})
  void base0(String text, int expected) {
    assertEquals(expected, new GoInt.Base0().convert(text));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"", "+", "0x", "08", "1_", "_1", "1__0", "0x1g", "1e3", "4.2", " 1", "99999999999"})
  void base0Refuses(String text) {
    assertThrows(IllegalArgumentException.class, () -> new GoInt.Base0().convert(text));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({"5, 5", "010, 10", "-1, -1", "+3, 3", "2147483647, 2147483647"})
  void klogLevel(String text, int expected) {
    assertEquals(expected, new GoInt.Level().convert(text));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"0x5", "1_0", "2147483648", "five", ""})
  void klogLevelRefuses(String text) {
    assertThrows(IllegalArgumentException.class, () -> new GoInt.Level().convert(text));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"-1", "+1"})
  void unsignedHasNoSign(String text) {
    assertThrows(IllegalArgumentException.class, () -> new GoInt.Unsigned().convert(text));
  }
}
