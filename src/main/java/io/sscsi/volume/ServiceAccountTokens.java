package io.sscsi.volume;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pure: when the service-account tokens kubelet passed ({@code csi.storage.k8s.io/serviceAccount.tokens},
 * JSON audience -> {token, expirationTimestamp}) expire: the earliest JWT {@code exp} claim, else the
 * earliest {@code expirationTimestamp}. Tokens are only read here, never logged or kept elsewhere.
 */
public final class ServiceAccountTokens {
  public static final String KEY = "csi.storage.k8s.io/serviceAccount.tokens";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private ServiceAccountTokens() {}

  /** The earliest expiry among the tokens of a publish request; empty when it carries none. */
  public static Optional<Instant> earliestExpiry(PublishRequest request) {
    String json = request.secrets().getOrDefault(KEY, request.volumeContext().get(KEY));
    return json == null ? Optional.empty() : earliestExpiry(json);
  }

  /** An unreadable value counts as expired now: the timer must not use tokens it cannot judge. */
  public static Optional<Instant> earliestExpiry(String tokensJson) {
    try {
      JsonNode root = JSON.readTree(tokensJson);
      Instant earliest = null;
      for (Map.Entry<String, JsonNode> audience : root.properties()) {
        Instant exp = expiry(audience.getValue());
        if (exp != null && (earliest == null || exp.isBefore(earliest))) {
          earliest = exp;
        }
      }
      return Optional.ofNullable(earliest);
    } catch (RuntimeException e) {
      return Optional.of(Instant.EPOCH);
    }
  }

  private static Instant expiry(JsonNode entry) {
    Instant fromJwt = jwtExp(entry.path("token").asString(""));
    if (fromJwt != null) {
      return fromJwt;
    }
    String ts = entry.path("expirationTimestamp").asString("");
    return ts.isEmpty() ? Instant.EPOCH : Instant.parse(ts);
  }

  private static Instant jwtExp(String jwt) {
    String[] parts = jwt.split("\\.");
    if (parts.length < 2) {
      return null;
    }
    try {
      JsonNode claims = JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
      return claims.has("exp") ? Instant.ofEpochSecond(claims.get("exp").asLong()) : null;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
