package io.sscsi.synccontroller;

import static org.junit.jupiter.api.Assertions.*;

import io.grpc.Status;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.LogCapture;
import io.sscsi.testkit.TestProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * No secret value and no token anywhere but in the Secret and the provider request: not in any log
 * line at any level (TRACE captured), not in the SecretSync's conditions, not in an event, not in
 * {@code GET /secretsyncs}. A provider whose error message quotes the value and the token back has
 * them replaced by {@code [redacted]} in the condition (and the log), and its long message cut.
 */
class SyncSecrecyTest {
  static final String VALUE = "VALUE-distinctive-9f2e71";
  static final String TOKEN = "TOKEN-distinctive-b7c4d0";
  static final String VALUE_B64 = Base64.getEncoder().encodeToString(VALUE.getBytes(StandardCharsets.UTF_8));
  static final JsonMapper JSON = JsonMapper.builder().build();
  @TempDir Path dir;

  @Test
  void noValueOrTokenInLogsConditionsEventsOrTheAdminView() throws Exception {
    try (LogCapture log = LogCapture.open();
        SyncHarness h = new SyncHarness(dir, 16, 16, Duration.ZERO, List.of("vault-aud"),
            (ns, sa, audience, seconds) -> new TokenCache.Token(TOKEN, Instant.now().plusSeconds(seconds)), "vault")) {
      h.provider("vault").answerNow(TestProvider.files(Map.of("password", VALUE)));
      h.spc("team", "db-spc", "vault", Map.of("objects", "one"));
      h.secretSync("team", "db", "db-spc", Map.of());
      Await.until("the Secret holds the value", () -> VALUE.equals(h.value("team", "db")));
      assertTrue(h.provider("vault").requests.get(0).getAttributes().contains(TOKEN), "the token reached the provider");

      h.provider("vault").answer(r -> CompletableFuture.failedFuture(Status.PERMISSION_DENIED.withDescription(
          "backend refused token " + TOKEN + " for value " + VALUE + " (" + VALUE_B64 + ") " + "x".repeat(600))
          .asRuntimeException()));
      h.spc("team", "db-spc", "vault", Map.of("objects", "two")); // a class edit re-syncs it
      String message = Await.value("the condition carries the provider's error", () -> {
        var st = h.get("team", "db").getStatus();
        return st == null ? null : SyncStatus.find(st.conditions(), SyncStatus.UPDATED)
            .filter(c -> "ProviderError".equals(c.getReason())).map(c -> c.getMessage()).orElse(null);
      }, m -> m != null);
      assertTrue(message.contains("backend refused token " + Redaction.MARK + " for value " + Redaction.MARK + " ("
          + Redaction.MARK + ")"), message);
      assertTrue(message.contains("...[cut]"), "a long message is cut: " + message);
      h.awaitIdle("team", "db", 2);

      String status = JSON.writeValueAsString(h.get("team", "db"));
      String admin = JSON.writeValueAsString(h.views());
      String events = JSON.writeValueAsString(h.client.v1().events().inAnyNamespace().list());
      String logs = log.all();
      assertTrue(logs.contains("sync wanted"), "DEBUG lines were captured");
      assertTrue(logs.contains(Redaction.MARK), "the failure was logged, redacted");
      for (String secret : List.of(VALUE, TOKEN, VALUE_B64)) {
        assertFalse(status.contains(secret), "status: " + status);
        assertFalse(admin.contains(secret), "admin: " + admin);
        assertFalse(events.contains(secret), "events: " + events);
        assertFalse(logs.contains(secret), "a log line holds a secret");
      }
    }
  }

  @Test
  void redactionTakesOutEveryHeldSecretLongestFirst() {
    assertEquals("a [redacted] b [redacted] c", Redaction.redact("a s3cr3t-long b s3cr3t c",
        List.of("s3cr3t", "s3cr3t-long")));
    assertEquals("abc xyz", Redaction.redact("abc xyz", List.of("abc", "")), "short strings are left alone");
    var applied = new io.fabric8.kubernetes.api.model.SecretBuilder().addToData("k", VALUE_B64).build();
    assertEquals(List.of("t1", VALUE_B64, VALUE), Redaction.secretsOf(
        java.util.Optional.of("{\"aud\":{\"token\":\"t1\",\"expirationTimestamp\":\"x\"}}"),
        java.util.Optional.of(applied)));
  }
}
