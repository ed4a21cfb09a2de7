package io.sscsi.synccontroller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.sscsi.testkit.Await;
import io.sscsi.testkit.TestProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
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
  SyncHarness h;

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  @Test
  void aResyncWritesTheStatusWithOnePutAndNoRead() throws Exception {
    startSynced();
    int before = h.crud.requests.size();

    h.advance(Duration.ofMinutes(10));
    h.awaitIdle("team", "db", 2);

    assertEquals(List.of("PUT " + SYNCS + "/db/status"), syncRequestsSince(before),
        "the unchanged resync's only request to the SecretSync is the status PUT");
    assertEquals(2, h.views().get("team/db").syncs());
  }

  @Test
  void aConflictReadsTheObjectOnceAndPutsTheStatusAgain() throws Exception {
    startSynced();
    h.crud.statusConflicts.set(1);
    int before = h.crud.requests.size();

    h.advance(Duration.ofMinutes(10));
    h.awaitIdle("team", "db", 2);

    assertEquals(List.of("PUT " + SYNCS + "/db/status", "GET " + SYNCS + "/db", "PUT " + SYNCS + "/db/status"),
        syncRequestsSince(before), "the refused PUT, the read, the PUT on the version read");
    assertEquals(0, h.crud.statusConflicts.get());
    assertEquals(null, h.views().get("team/db").lastError(), "the sync succeeded, its status written");
  }

  /** One SecretSync resyncing every 10 minutes, synced once, its status on the server. */
  private void startSynced() throws Exception {
    h = new SyncHarness(dir, "vault");
    h.provider("vault").answerNow(TestProvider.files(Map.of("password", "v1")));
    h.spc("team", "db-spc", "vault", Map.of("objects", "one"));
    h.secretSync("team", "db", "db-spc", Map.of(SyncAnnotations.REFRESH_INTERVAL, "10m"));
    h.awaitIdle("team", "db", 1);
    Await.until("the first status is on the server", () -> h.get("team", "db").getStatus() != null);
    assertNotNull(h.get("team", "db").getStatus().syncHash());
  }

  /** Method and path (no query) of each request for a SecretSync of namespace team since {@code from}. */
  private List<String> syncRequestsSince(int from) {
    return h.crud.requests.subList(from, h.crud.requests.size()).stream()
        .filter(r -> r.path().startsWith(SYNCS) && !r.path().contains("watch="))
        .map(r -> r.method() + " " + r.path().split("\\?")[0]).toList();
  }
}
