package io.sscsi.volume;

import static io.sscsi.volume.RefreshPolicy.Decision.*;
import static io.sscsi.volume.RefreshPolicy.Trigger.*;
import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RefreshPolicyTest {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final Duration TWO_MIN = Duration.ofMinutes(2);

  static Stream<Arguments> table() {
    TokenExpiry none = TokenExpiry.NONE;
    TokenExpiry valid = new TokenExpiry.At(NOW.plusSeconds(600));
    TokenExpiry expired = new TokenExpiry.At(NOW.minusSeconds(1));
    TokenExpiry unreadable = TokenExpiry.UNREADABLE;
    return Stream.of(
        //          trigger        rotation  last success            tokens   decision
        Arguments.of(REPUBLISH,     false,   NOW.minusSeconds(600),   none,    SKIP_ROTATION_OFF),
        Arguments.of(TIMER,         false,   NOW.minusSeconds(600),   none,    SKIP_ROTATION_OFF),
        Arguments.of(REPUBLISH,     true,    NOW.minusSeconds(30),    none,    SKIP_TOO_SOON),
        Arguments.of(REPUBLISH,     true,    NOW.minusSeconds(120),   none,    REFRESH),
        Arguments.of(REPUBLISH,     true,    NOW.minusSeconds(600),   expired, REFRESH), // kubelet brings fresh tokens
        Arguments.of(TIMER,         true,    NOW.minusSeconds(30),    valid,   SKIP_TOO_SOON),
        Arguments.of(TIMER,         true,    NOW.minusSeconds(600),   valid,   REFRESH),
        Arguments.of(TIMER,         true,    NOW.minusSeconds(600),   none,    REFRESH),
        Arguments.of(TIMER,         true,    NOW.minusSeconds(600),   expired, SKIP_TOKENS_EXPIRED),
        Arguments.of(TIMER,         true,    NOW.minusSeconds(600),   unreadable, SKIP_TOKENS_UNREADABLE),
        Arguments.of(TIMER,         true,    NOW.minusSeconds(30),    unreadable, SKIP_TOKENS_UNREADABLE),
        Arguments.of(REPUBLISH,     true,    NOW.minusSeconds(600),   unreadable, REFRESH), // passed on as given
        Arguments.of(CLASS_CHANGED, true,    NOW.minusSeconds(1),     unreadable, SKIP_TOKENS_UNREADABLE),
        Arguments.of(CLASS_CHANGED, true,    NOW.minusSeconds(1),     none,    REFRESH),
        Arguments.of(CLASS_CHANGED, true,    NOW.minusSeconds(1),     expired, SKIP_TOKENS_EXPIRED),
        Arguments.of(CLASS_CHANGED, false,   NOW.minusSeconds(1),     none,    SKIP_ROTATION_OFF),
        Arguments.of(SECRET_CHANGED, true,   NOW.minusSeconds(1),     none,    REFRESH),
        Arguments.of(SECRET_CHANGED, true,   NOW.minusSeconds(1),     expired, SKIP_TOKENS_EXPIRED),
        Arguments.of(SECRET_CHANGED, false,  NOW.minusSeconds(1),     none,    SKIP_ROTATION_OFF));
  }

  @ParameterizedTest
  @MethodSource("table")
  void decides(RefreshPolicy.Trigger trigger, boolean rotation, Instant lastSuccess, TokenExpiry tokens,
      RefreshPolicy.Decision expected) {
    assertEquals(expected, RefreshPolicy.decide(trigger, rotation, TWO_MIN, NOW, lastSuccess, tokens));
  }

  @Test
  void jitterStaysWithinTenPercent() {
    assertEquals(Duration.ofMillis(108_000), RefreshPolicy.jittered(TWO_MIN, 0.0));
    assertEquals(Duration.ofMillis(132_000), RefreshPolicy.jittered(TWO_MIN, 1.0));
  }
}
