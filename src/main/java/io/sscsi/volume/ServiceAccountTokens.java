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
 * earliest {@code expirationTimestamp}; or that the value cannot be read ({@link TokenExpiry}). Tokens
 * are only read here, never logged or kept elsewhere.
 */
public final class ServiceAccountTokens {
  public static final String KEY = io.sscsi.provider.ProviderMountRequest.TOKENS_KEY;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private ServiceAccountTokens() {}

  /** When the tokens of a publish request expire; {@link TokenExpiry#NONE} when it carries none. */
  public static TokenExpiry expiry(PublishRequest request) {
    String json = request.secrets().getOrDefault(KEY, request.volumeContext().get(KEY));
    return json == null ? TokenExpiry.NONE : expiry(json);
  }

  /**
   * The earliest expiry among the tokens; {@link TokenExpiry#UNREADABLE} for a value that is not a JSON
   * object of audiences, or with an audience whose expiry cannot be read (neither a JWT {@code exp}
   * nor an RFC 3339 {@code expirationTimestamp}). The value is never put into an exception message.
   */
  public static TokenExpiry expiry(String tokensJson) {
    try {
      JsonNode root = JSON.readTree(tokensJson);
      if (root == null || !root.isObject()) {
        return TokenExpiry.UNREADABLE;
      }
      Instant earliest = null;
      for (Map.Entry<String, JsonNode> audience : root.properties()) {
        Optional<Instant> exp = expiry(audience.getValue());
        if (exp.isEmpty()) {
          return TokenExpiry.UNREADABLE;
        }
        if (earliest == null || exp.get().isBefore(earliest)) {
          earliest = exp.get();
        }
      }
      return earliest == null ? TokenExpiry.NONE : new TokenExpiry.At(earliest);
    } catch (RuntimeException e) {
      return TokenExpiry.UNREADABLE;
    }
  }

  private static Optional<Instant> expiry(JsonNode entry) {
    Instant fromJwt = jwtExp(entry.path("token").asString(""));
    if (fromJwt != null) {
      return Optional.of(fromJwt);
    }
    String ts = entry.path("expirationTimestamp").asString("");
    try {
      return ts.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(ts));
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
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
