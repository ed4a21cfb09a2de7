package io.sscsi.config;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {
  @ParameterizedTest
  @CsvSource({"2m, 120000", "30s, 30000", "1h30m, 5400000", "1.5h, 5400000", "500ms, 500", "0, 0",
      "1s, 1000", "2m30s, 150000", "1000000us, 1000", "+5s, 5000", "0.5s, 500"})
  void parsesGoSyntax(String text, long millis) {
    assertEquals(Duration.ofMillis(millis), GoDuration.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "2", "-1s", "1d", "m", "1s2", "1 s", "abc", "2min"})
  void refusesWhatGoRefusesOrWeDoNotTake(String text) {
    assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(text));
  }

  @ParameterizedTest
  @CsvSource({"true, true", "True, true", "1, true", "t, true", "false, false", "F, false", "0, false"})
  void goBooleans(String text, boolean value) {
    assertEquals(value, new GoBool().convert(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"yes", "on", "", "2"})
  void notABoolean(String text) {
    assertThrows(IllegalArgumentException.class, () -> new GoBool().convert(text));
  }
}
