package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServiceAccountTokensTest {
  static String jwt(long exp) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(("{\"aud\":[\"vault\"],\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8)) + ".sig";
  }

  @Test
  void earliestJwtExpAcrossAudiences() {
    String json = "{\"vault\":{\"token\":\"" + jwt(2_000_000_000L) + "\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"},"
        + "\"aws\":{\"token\":\"" + jwt(1_900_000_000L) + "\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}";
    assertEquals(Optional.of(Instant.ofEpochSecond(1_900_000_000L)), ServiceAccountTokens.earliestExpiry(json));
  }

  @Test
  void expirationTimestampWhenTheTokenIsNotAJwt() {
    String json = "{\"vault\":{\"token\":\"opaque\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}";
    assertEquals(Optional.of(Instant.parse("2030-01-01T00:00:00Z")), ServiceAccountTokens.earliestExpiry(json));
  }

  @Test
  void unreadableTokensCountAsExpired() {
    assertEquals(Optional.of(Instant.EPOCH), ServiceAccountTokens.earliestExpiry("not json"));
    assertEquals(Optional.empty(), ServiceAccountTokens.earliestExpiry("{}"));
  }
}
