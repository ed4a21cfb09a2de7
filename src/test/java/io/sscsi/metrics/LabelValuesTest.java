package io.sscsi.metrics;

import static io.sscsi.metrics.LabelValues.Verdict.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LabelValuesTest {
  static final Set<String> KNOWN = Set.of("AuthFailed", "");

  static Stream<Arguments> table() {
    return Stream.of(
        //           value                        admitted  max  verdict
        Arguments.of("AuthFailed",                 0,       2,   KEEP),
        Arguments.of("AuthFailed",                 2,       2,   KEEP),   // known stays known when full
        Arguments.of("",                           2,       2,   KEEP),
        Arguments.of("NotFound",                   0,       2,   ADMIT),
        Arguments.of("a.b-c_D9",                   1,       2,   ADMIT),
        Arguments.of("x".repeat(64),               0,       2,   ADMIT),
        Arguments.of("NotFound",                   2,       2,   OTHER),  // no room left
        Arguments.of("x".repeat(65),               0,       2,   OTHER),  // too long
        Arguments.of("Auth Failed",                0,       2,   OTHER),  // a space
        Arguments.of("code\nfake_metric 1",        0,       2,   OTHER),  // a newline
        Arguments.of("../../etc/evil",             0,       2,   OTHER),
        Arguments.of("quote\"",                    0,       2,   OTHER),
        Arguments.of("ünïcode",                    0,       2,   OTHER));
  }

  @ParameterizedTest
  @MethodSource("table")
  void decides(String value, int admitted, int max, LabelValues.Verdict expected) {
    assertEquals(expected, LabelValues.decide(value, KNOWN, admitted, max));
  }

  @Test
  void theFirstDistinctValuesAreKeptThenOther() {
    LabelValues label = new LabelValues(Set.of("FileWriteError"), 2);
    assertEquals("a", label.of("a"));
    assertEquals("a", label.of("a"), "a value kept once is kept again, without another admission");
    assertEquals("b", label.of("b"));
    assertEquals(LabelValues.OTHER, label.of("c"));
    assertEquals("FileWriteError", label.of("FileWriteError"), "fixed values need no admission");
    assertEquals(LabelValues.OTHER, label.of("bad value"));
    assertEquals(LabelValues.OTHER, label.of(null), "null counts as the empty value, not fixed here and no room");
    assertEquals("", new LabelValues(Set.of(""), 0).of(null));
  }

  @Test
  void trustedValuesAreKeptWithoutUsingAnAdmission() {
    LabelValues label = new LabelValues(Set.of(), 1);
    assertEquals("vault", label.trusted("vault"));
    assertEquals("aws", label.trusted("aws"));
    assertEquals("absent", label.of("absent"), "the one admission is still free");
    assertEquals(LabelValues.OTHER, label.of("absent-2"));
    assertEquals("vault", label.of("vault"), "a trusted value is known to of() too");
    assertEquals(LabelValues.OTHER, label.trusted("not\nwell-formed"));
  }

  @Test
  void aThousandDistinctValuesMakeAtMostMaxPlusOneLabelValues() {
    LabelValues label = new LabelValues(Set.of(), 32);
    Set<String> values = new java.util.HashSet<>();
    for (int i = 0; i < 1000; i++) {
      values.add(label.of("Code" + i));
    }
    assertEquals(33, values.size());
    assertTrue(values.contains(LabelValues.OTHER));
  }
}
