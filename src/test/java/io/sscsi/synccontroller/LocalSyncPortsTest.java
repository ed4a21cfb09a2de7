package io.sscsi.synccontroller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.sscsi.local.LocalProviderClassSource;
import io.sscsi.synccontroller.model.SecretSync;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local mode's ports: SecretSync manifests read as {@code kubectl apply} would take them (defaults,
 * stable uid, other kinds skipped, bad objects named and skipped without quoting the file), and the
 * file sink ({@link LocalSyncApi}): a Secret file of mode 0600, read back on the next start, and a
 * file that is not ours is refused by the same take-over rule as in a cluster.
 */
class LocalSyncPortsTest {
  @TempDir Path dir;

  static final String SYNC = """
      apiVersion: secret-sync.x-k8s.io/v1alpha1
      kind: SecretSync
      metadata:
        name: %s
      spec:
        secretProviderClassName: %s
        secretObject:
          data:
            - sourcePath: a
              targetKey: A
      """;

  @Test
  void manifestsGiveSecretSyncsWithDefaultsAndBadOnesAreNamed() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), SYNC.formatted("one", "spc") + "---\n" + """
        apiVersion: secrets-store.csi.x-k8s.io/v1
        kind: SecretProviderClass
        metadata: {name: spc}
        spec: {provider: file}
        ---
        apiVersion: secret-sync.x-k8s.io/v1beta9
        kind: SecretSync
        metadata: {name: future}
        ---
        """ + SYNC.formatted("no-class", "\"\"") + "---\n" + SYNC.formatted("one", "other"));
    Files.writeString(dir.resolve("b.yml"), "kind: SecretSync\nmetadata: {name: [s3cr3t-value\n");

    LocalSecretSyncs.Scan scan = LocalSecretSyncs.scan(dir);

    assertEquals(List.of(new SyncKey("default", "one")), List.copyOf(scan.syncs().keySet()));
    SecretSync one = scan.syncs().get(new SyncKey("default", "one"));
    assertEquals("spc", one.getSpec().secretProviderClassName(), "the first definition wins");
    assertEquals(1L, one.getMetadata().getGeneration());
    assertEquals(LocalSecretSyncs.scan(dir).syncs().get(new SyncKey("default", "one")).getMetadata().getUid(),
        one.getMetadata().getUid(), "the uid is stable across scans");
    String problems = String.join("\n", scan.problems());
    assertEquals(4, scan.problems().size(), problems);
    assertTrue(problems.contains("apiVersion \"secret-sync.x-k8s.io/v1beta9\" is not supported"), problems);
    assertTrue(problems.contains("SecretSync no-class has no spec.secretProviderClassName"), problems);
    assertTrue(problems.contains("SecretSync default/one is defined in both a.yaml and a.yaml"), problems);
    assertTrue(problems.contains("b.yml: invalid YAML"), problems);
    assertFalse(problems.contains("s3cr3t"), "problems never quote the file");
  }

  @Test
  void secretsAreFilesReadBackAndAForeignFileIsNotTakenOver() throws Exception {
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path syncs = Files.createDirectories(dir.resolve("syncs"));
    Path out = dir.resolve("out");
    Files.writeString(syncs.resolve("s.yaml"), SYNC.formatted("one", "spc") + "---\n" + SYNC.formatted("two", "spc"));
    SecretSync one = LocalSecretSyncs.scan(syncs).syncs().get(new SyncKey("default", "one"));
    SecretSync two = LocalSecretSyncs.scan(syncs).syncs().get(new SyncKey("default", "two"));
    LocalSyncApi api = new LocalSyncApi(new LocalProviderClassSource(classes), Optional.of(out), System.out);
    assertEquals(Optional.empty(), api.providerClass("default", "spc"), "a missing class is missing");

    Secret want = OwnedSecret.applied(one, new SecretContent.Desired("Opaque",
        Map.of("A", "v".getBytes(StandardCharsets.UTF_8)), Map.of(SecretContent.MANAGED_LABEL, ""), Map.of()));
    api.apply(want);

    Path file = out.resolve("default/one.yaml");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    LocalSyncApi restarted = new LocalSyncApi(new LocalProviderClassSource(classes), Optional.of(out), System.out);
    Secret read = restarted.secret("default", "one").orElseThrow();
    assertFalse(OwnedSecret.drifted(read, want), "the file holds what was applied");
    assertEquals(Optional.empty(), OwnedSecret.takeoverRefused(read, one), "our own file is ours");

    Files.createDirectories(out.resolve("default"));
    Files.writeString(out.resolve("default/two.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: two}\n");
    assertTrue(OwnedSecret.takeoverRefused(restarted.secret("default", "two").orElseThrow(), two).isPresent(),
        "a Secret file without our label and owner is not ours");
  }

  @Test
  void withoutAnOutputDirectorySecretsArePrintedAsYamlDocuments() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    LocalSyncApi api = new LocalSyncApi(new LocalProviderClassSource(dir), Optional.empty(),
        new PrintStream(printed, true, StandardCharsets.UTF_8));
    SecretSync one = new ArrayList<>(LocalSecretSyncs.parse(SYNC.formatted("one", "spc"), "x", new ArrayList<>()))
        .get(0);
    Secret want = OwnedSecret.applied(one, new SecretContent.Desired("Opaque",
        Map.of("A", "v".getBytes(StandardCharsets.UTF_8)), Map.of(SecretContent.MANAGED_LABEL, ""), Map.of()));
    api.apply(want);
    api.apply(want);

    String out = printed.toString(StandardCharsets.UTF_8);
    assertTrue(out.startsWith("---\napiVersion: v1\nkind: Secret\n"), out);
    assertEquals(2, out.split("(?m)^---$", -1).length - 1, out);
    assertEquals(Optional.of(want), api.secret("default", "one"), "what was printed is what the next sync finds");
  }
}
