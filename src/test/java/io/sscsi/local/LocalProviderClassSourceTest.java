package io.sscsi.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.testkit.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real directory of manifests: lookups, errors naming class, namespace and directory, and reload on change. */
class LocalProviderClassSourceTest {
  @TempDir Path dir;
  LocalProviderClassSource source;

  static String spc(String name, String namespace, String objects) {
    return "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata:\n  name: " + name + "\n"
        + (namespace == null ? "" : "  namespace: " + namespace + "\n")
        + "spec:\n  provider: file\n  parameters:\n    objects: \"" + objects + "\"\n";
  }

  @BeforeEach
  void setUp() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), spc("app", null, "- objectName: one") + "---\n" + spc("app", "team", "- objectName: two"));
    Files.writeString(dir.resolve("b.yml"), spc("other", "team", "- objectName: three"));
    Files.writeString(dir.resolve("ignored.txt"), spc("txt", null, "x"));
    source = new LocalProviderClassSource(dir);
  }

  @Test
  void findsClassesByNamespaceAndName() {
    assertEquals("- objectName: one", source.get("default", "app").parameters().get("objects"));
    assertEquals("- objectName: two", source.get("team", "app").parameters().get("objects"));
    assertEquals("- objectName: three", source.get("team", "other").parameters().get("objects"));
  }

  @Test
  void anUnknownClassIsNotFoundNamingClassNamespaceAndDirectory() {
    DriverException e = assertThrows(DriverException.class, () -> source.get("default", "txt"));
    assertEquals(FailureKind.SPC_NOT_FOUND, e.kind());
    assertEquals("SecretProviderClass \"txt\" not found in namespace \"default\" (local mode: no manifest in "
        + dir.toAbsolutePath() + " defines it)", e.getMessage());
    assertThrows(DriverException.class, () -> source.get("other-ns", "app"));
  }

  @Test
  void editsAreSeenByTheNextLookupAndLoggedOnce() throws Exception {
    try (LogCapture logs = LogCapture.open()) {
      source.get("default", "app");
      source.get("default", "app");
      assertEquals(1, logs.lines().stream().filter(l -> l.contains("loaded 3 SecretProviderClass(es)")).count(), logs.all());

      Files.writeString(dir.resolve("a.yaml"), spc("app", null, "- objectName: edited"));
      assertEquals("- objectName: edited", source.get("default", "app").parameters().get("objects"));
      assertThrows(DriverException.class, () -> source.get("team", "app"), "removed from the file");

      Files.writeString(dir.resolve("c.yaml"), spc("new", null, "- objectName: n"));
      assertEquals("- objectName: n", source.get("default", "new").parameters().get("objects"));

      Files.delete(dir.resolve("b.yml"));
      assertThrows(DriverException.class, () -> source.get("team", "other"));
    }
  }

  @Test
  void anInvalidClassIsSpcInvalidAndABrokenFileIsNamedInNotFound() throws Exception {
    Files.writeString(dir.resolve("c.yaml"), "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\n"
        + "metadata: {name: noparams}\nspec: {provider: file}\n");
    DriverException invalid = assertThrows(DriverException.class, () -> source.get("default", "noparams"));
    assertEquals(FailureKind.SPC_INVALID, invalid.kind());
    assertTrue(invalid.getMessage().startsWith("parameters not set in default/noparams ("), invalid.getMessage());

    Files.writeString(dir.resolve("d.yaml"), "kind: [\n");
    DriverException missing = assertThrows(DriverException.class, () -> source.get("default", "gone"));
    assertTrue(missing.getMessage().contains("1 problem(s) reading the manifests, first: d.yaml: invalid YAML"),
        missing.getMessage());
  }

  @Test
  void theFirstFileWinsForADuplicate() throws Exception {
    Files.writeString(dir.resolve("z.yaml"), spc("app", null, "- objectName: late"));
    try (LogCapture logs = LogCapture.open()) {
      assertEquals("- objectName: one", source.get("default", "app").parameters().get("objects"));
      assertTrue(logs.all().contains("SecretProviderClass default/app is defined in both a.yaml and z.yaml; using a.yaml"),
          logs.all());
    }
  }

  @Test
  void aMissingDirectoryIsNotFound() {
    DriverException e = assertThrows(DriverException.class,
        () -> new LocalProviderClassSource(dir.resolve("nope")).get("default", "app"));
    assertEquals(FailureKind.SPC_NOT_FOUND, e.kind());
    assertTrue(e.getMessage().startsWith("cannot read the SecretProviderClass directory"), e.getMessage());
  }

  @Test
  void settledFilesAreStatedNotReadAndAnyChangeIsStillSeen() throws Exception {
    // an hour from now every file here was last changed long before it was read
    LocalProviderClassSource settled = new LocalProviderClassSource(dir, Clock.offset(Clock.systemUTC(), Duration.ofHours(1)));
    assertEquals("- objectName: one", settled.get("default", "app").parameters().get("objects"));
    long reads = settled.fileReads();
    settled.get("default", "app");
    settled.get("team", "other");
    assertEquals(reads, settled.fileReads(), "nothing changed: no file is read again");

    // replaced by a file of the same size and modification time (as a ConfigMap's swap or `cp -p` would)
    Path a = dir.resolve("a.yaml");
    Path swap = dir.resolve("a.swap");
    Files.writeString(swap, Files.readString(a).replace("objectName: one", "objectName: 1ne"));
    Files.setLastModifiedTime(swap, Files.getLastModifiedTime(a));
    Files.move(swap, a, StandardCopyOption.REPLACE_EXISTING);
    assertEquals("- objectName: 1ne", settled.get("default", "app").parameters().get("objects"));

    Files.writeString(a, spc("app", null, "- objectName: longer than before"));
    assertEquals("- objectName: longer than before", settled.get("default", "app").parameters().get("objects"));

    Files.writeString(dir.resolve("c.yaml"), spc("new", null, "- objectName: n"));
    assertEquals("- objectName: n", settled.get("default", "new").parameters().get("objects"));
    Files.delete(dir.resolve("b.yml"));
    assertThrows(DriverException.class, () -> settled.get("team", "other"));
  }

  @Test
  void filesChangedJustBeforeTheirReadAreReadOnEveryLookup() throws Exception {
    // read one second after a.yaml (and so b.yml, written after it) last changed
    FileTime changed = (FileTime) Files.getAttribute(dir.resolve("a.yaml"), "unix:ctime");
    LocalProviderClassSource fresh = new LocalProviderClassSource(dir,
        Clock.fixed(changed.toInstant().plusSeconds(1), java.time.ZoneOffset.UTC));
    fresh.get("default", "app");
    long reads = fresh.fileReads();
    fresh.get("default", "app");
    assertEquals(reads + 2, fresh.fileReads(), "a.yaml and b.yml read again");
  }
}
