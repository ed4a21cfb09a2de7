package io.sscsi.synccontroller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sscsi.testkit.Await;
import io.sscsi.testkit.TestProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SecretSync status write is one request: a PUT of the status subresource locked to the
 * resourceVersion the controller already holds (the watch's object, or the answer to its own last status
 * write), with no GET before it; a 409 Conflict reads the object once and puts the status again. Counted
 * in the CRUD mock's request log ({@link ApplyRecordingCrud}, which also plays the conflict), on the test's
 * time. On the old code every status write was a GET and a JSON patch.
 */
class SyncStatusWriteTest {
  private static final String SYNCS = "/apis/secret-sync.x-k8s.io/v1alpha1/namespaces/team/secretsyncs";

  @TempDir Path dir;

  @Test
  void aResyncWritesTheStatusWithOnePutAndNoRead() throws Exception {
    try (SyncHarness h = synced()) {
      int before = h.crud.requests.size();

      h.advance(Duration.ofMinutes(10));
      h.awaitIdle("team", "db", 2);

      assertEquals(List.of("PUT " + SYNCS + "/db/status"), syncRequestsSince(h, before),
          "the unchanged resync's only request to the SecretSync is the status PUT");
    }
  }

  @Test
  void aConflictReadsTheObjectOnceAndPutsTheStatusAgain() throws Exception {
    try (SyncHarness h = synced()) {
      h.crud.statusConflicts.set(1);
      int before = h.crud.requests.size();

      h.advance(Duration.ofMinutes(10));
      h.awaitIdle("team", "db", 2);

      assertEquals(List.of("PUT " + SYNCS + "/db/status", "GET " + SYNCS + "/db", "PUT " + SYNCS + "/db/status"),
          syncRequestsSince(h, before), "the refused PUT, the read, the PUT on the version read");
      assertEquals(0, h.crud.statusConflicts.get());
      assertNull(h.views().get("team/db").lastError(), "the sync succeeded, its status written");
    }
  }

  /** One SecretSync resyncing every 10 minutes, synced once, its status on the server. */
  private SyncHarness synced() throws Exception {
    SyncHarness h = new SyncHarness(dir, "vault");
    try {
      h.provider("vault").answerNow(TestProvider.files(Map.of("password", "v1")));
      h.spc("team", "db-spc", "vault", Map.of("objects", "one"));
      h.secretSync("team", "db", "db-spc", Map.of(SyncAnnotations.REFRESH_INTERVAL, "10m"));
      h.awaitIdle("team", "db", 1);
      Await.until("the first status is on the server", () -> h.get("team", "db").getStatus() != null);
      assertNotNull(h.get("team", "db").getStatus().syncHash());
      return h;
    } catch (Exception | AssertionError notSynced) {
      h.close();
      throw notSynced;
    }
  }

  /** Method and path (no query) of each request for a SecretSync of namespace team since {@code from}. */
  private static List<String> syncRequestsSince(SyncHarness h, int from) {
    return h.crud.requests.subList(from, h.crud.requests.size()).stream()
        .filter(r -> r.path().startsWith(SYNCS) && !r.path().contains("watch="))
        .map(r -> r.method() + " " + r.path().split("\\?")[0]).toList();
  }
}
