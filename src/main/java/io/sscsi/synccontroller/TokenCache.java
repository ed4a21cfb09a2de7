package io.sscsi.synccontroller;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service-account tokens SecretSyncs hand their provider, as SSC (kubelet's token manager)
 * gets them: one TokenRequest per audience of {@code --token-request-audience} for the SecretSync's
 * service account, {@value #LIFETIME_SECONDS} s, no bound object; a token is reused until 80% of its
 * lifetime has passed. Shared by every object's sync run (they run on the blocking dispatcher, so
 * the map is concurrent); a token is never logged or shown.
 */
public final class TokenCache {
  public static final long LIFETIME_SECONDS = 600;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A token the API server issued. {@link #toString()} hides it. */
  public record Token(String token, Instant expires) {
    @Override
    public String toString() {
      return "Token[expires=" + expires + "]";
    }
  }

  /** Asks the API server for one token (blocking). */
  @FunctionalInterface
  public interface Requester {
    Token request(String namespace, String serviceAccount, String audience, long seconds);
  }

  private record Key(String namespace, String serviceAccount, String audience) {}

  private record Cached(Token token, Instant refreshAt) {}

  private final List<String> audiences;
  private final Requester requester;
  private final Clock clock;
  private final ConcurrentHashMap<Key, Cached> cache = new ConcurrentHashMap<>();

  public TokenCache(List<String> audiences, Requester requester, Clock clock) {
    this.audiences = List.copyOf(audiences);
    this.requester = requester;
    this.clock = clock;
  }

  /** {@code serviceAccount.tokens} for the account: empty when no audience is configured. Blocking. */
  public Optional<String> tokensJson(String namespace, String serviceAccount) {
    if (audiences.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    for (String audience : audiences) {
      Token t = token(new Key(namespace, serviceAccount, audience));
      out.put(audience, Map.of("token", t.token(), "expirationTimestamp", t.expires().toString()));
    }
    return Optional.of(JSON.writeValueAsString(out));
  }

  private Token token(Key key) {
    Instant now = clock.instant();
    Cached c = cache.get(key);
    if (c != null && now.isBefore(c.refreshAt())) {
      return c.token();
    }
    Token fresh = requester.request(key.namespace(), key.serviceAccount(), key.audience(), LIFETIME_SECONDS);
    Duration lifetime = Duration.between(now, fresh.expires());
    Instant refreshAt = now.plusMillis(Math.max(0, lifetime.toMillis() * 8 / 10));
    cache.put(key, new Cached(fresh, refreshAt));
    return fresh;
  }

  /** Forget the tokens of a service account's namespace entries no object uses any more. */
  public void forget(String namespace, String serviceAccount) {
    cache.keySet().removeIf(k -> k.namespace().equals(namespace) && k.serviceAccount().equals(serviceAccount));
  }
}
