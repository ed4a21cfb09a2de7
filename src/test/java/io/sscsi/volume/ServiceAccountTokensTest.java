package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    assertEquals(new TokenExpiry.At(Instant.ofEpochSecond(1_900_000_000L)), ServiceAccountTokens.expiry(json));
  }

  @Test
  void expirationTimestampWhenTheTokenIsNotAJwt() {
    String json = "{\"vault\":{\"token\":\"opaque\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}";
    assertEquals(new TokenExpiry.At(Instant.parse("2030-01-01T00:00:00Z")), ServiceAccountTokens.expiry(json));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json", "[]", "42", "\"text\"", "{\"vault\":{\"token\":\"opaque\"}}",
      "{\"vault\":{\"token\":\"opaque\",\"expirationTimestamp\":\"tomorrow\"}}", "{\"vault\":\"x\"}"})
  void aValueWhoseExpiryCannotBeReadIsUnreadableNotExpired(String json) {
    assertEquals(TokenExpiry.UNREADABLE, ServiceAccountTokens.expiry(json));
  }

  @Test
  void noAudiencesMeansNoTokens() {
    assertEquals(TokenExpiry.NONE, ServiceAccountTokens.expiry("{}"));
  }
}
