package io.sscsi.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.status.PodStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Local pod status files: the SecretProviderClassPodStatus fields, atomic replace, delete, safe names. */
class LocalPodStatusStoreTest {
  @TempDir Path state;

  @Test
  void writesTheFieldsOfASecretProviderClassPodStatus() throws Exception {
    LocalPodStatusStore store = new LocalPodStatusStore(state);
    store.upsert(new PodStatus("web-1", "team-a", "uid-1", "db", "node-1", "/t/mount",
        Map.of("file/b", "2", "file/a", "1")));

    Path file = state.resolve("team-a/web-1-team-a-db.json");
    JsonNode doc = JsonMapper.builder().build().readTree(Files.readString(file));
    assertEquals("secrets-store.csi.x-k8s.io/v1", doc.get("apiVersion").asString());
    assertEquals("SecretProviderClassPodStatus", doc.get("kind").asString());
    assertEquals("web-1-team-a-db", doc.at("/metadata/name").asString());
    assertEquals("node-1", doc.at("/metadata/labels").get("internal.secrets-store.csi.k8s.io/node-name").asString());
    assertEquals("uid-1", doc.at("/metadata/ownerReferences/0/uid").asString());
    assertEquals("Pod", doc.at("/metadata/ownerReferences/0/kind").asString());
    assertEquals("db", doc.at("/status/secretProviderClassName").asString());
    assertTrue(doc.at("/status/mounted").asBoolean());
    assertEquals("/t/mount", doc.at("/status/targetPath").asString());
    assertEquals("file/a", doc.at("/status/objects/0/id").asString(), "sorted by id");
    assertEquals(Map.of("file/a", "1", "file/b", "2"), LocalPodStatusStore.readVersions(file));

    store.upsert(new PodStatus("web-1", "team-a", "uid-1", "db", "node-1", "/t/mount", Map.of("file/a", "3")));
    assertEquals(Map.of("file/a", "3"), LocalPodStatusStore.readVersions(file));
    try (var files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "no temporary files left");
    }

    store.delete("team-a", "web-1-team-a-db");
    assertFalse(Files.exists(file));
    store.delete("team-a", "web-1-team-a-db");
  }

  @Test
  void listsThisNodesStatusFilesForRestartRecovery() throws Exception {
    LocalPodStatusStore store = new LocalPodStatusStore(state);
    PodStatus mine = new PodStatus("web-1", "team-a", "uid-1", "db", "laptop", "/k/pods/uid-1/volumes/kubernetes.io~csi/v/mount",
        Map.of("file/a", "1", "file/b", "2"));
    PodStatus noVersions = new PodStatus("web-2", "team-b", "uid-2", "db", "laptop", "/t2", Map.of());
    store.upsert(mine);
    store.upsert(noVersions);
    store.upsert(new PodStatus("web-3", "team-a", "uid-3", "db", "other-node", "/t3", Map.of()));
    Files.writeString(state.resolve("team-a/broken.json"), "{not json");
    Files.copy(state.resolve("team-a/web-1-team-a-db.json"), state.resolve("team-a/copied-elsewhere.json"));
    Files.writeString(state.resolve("team-a/.status-1.tmp"), "{}");

    assertEquals(List.of(mine, noVersions), store.listForNode("laptop"),
        "this node's files as written; another node's, unreadable and misnamed files are not");
    assertEquals(List.of(), new LocalPodStatusStore(state.resolve("absent")).listForNode("laptop"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "team-a,      team-a",
      "web-1.v2,    web-1.v2",
      "..,          %2E.",
      ".hidden,     %2Ehidden",
      "a/b,         a%2Fb",
      "'a b',       a%20b",
  })
  void namesNeverLeaveTheStateDirectory(String name, String segment) {
    assertEquals(segment, LocalPodStatusStore.segment(name));
    Path file = LocalPodStatusStore.file(state, name, name);
    assertEquals(state, file.getParent().getParent());
  }
}
