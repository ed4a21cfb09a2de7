package io.sscsi.fileprovider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sscsi.fileprovider.ObjectsParameter.ObjectSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading objects below a real root directory: versions, and every way a name can escape or miss. */
class ObjectFilesTest {
  @TempDir Path dir;
  Path root;
  Path outside;
  ObjectFiles files;

  @BeforeEach
  void setUp() throws Exception {
    root = Files.createDirectories(dir.resolve("root"));
    outside = Files.writeString(dir.resolve("outside"), "not yours");
    Files.writeString(root.resolve("foo"), "s3cr3t");
    Files.createDirectories(root.resolve("db"));
    Files.writeString(root.resolve("db/pass"), "hunter2");
    Files.createSymbolicLink(root.resolve("escape"), outside);
    Files.createSymbolicLink(root.resolve("updir"), dir);
    Files.createSymbolicLink(root.resolve("inside"), root.resolve("db/pass"));
    files = new ObjectFiles(root);
  }

  @Test
  void readsContentAndVersionIsTheContentHash() throws Exception {
    ObjectFiles.Loaded loaded = files.read(new ObjectSpec("foo", null, null));
    assertArrayEquals("s3cr3t".getBytes(StandardCharsets.UTF_8), loaded.contents());
    String sha = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest("s3cr3t".getBytes(StandardCharsets.UTF_8)));
    assertEquals(sha.substring(0, 16), loaded.version());

    Files.writeString(root.resolve("foo"), "changed");
    assertFalse(loaded.version().equals(files.read(new ObjectSpec("foo", null, null)).version()), "new content, new version");
  }

  @Test
  void nestedNamesAndLinksInsideTheRootAreServed() {
    assertEquals("hunter2", new String(files.read(new ObjectSpec("db/pass", null, null)).contents(), StandardCharsets.UTF_8));
    assertEquals("hunter2", new String(files.read(new ObjectSpec("inside", null, null)).contents(), StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "escape,     INVALID_ARGUMENT, resolves outside the provider root",
      "updir/outside, INVALID_ARGUMENT, resolves outside the provider root",
      "../outside, INVALID_ARGUMENT, contains a '..' element",
      "db/../foo,  INVALID_ARGUMENT, contains a '..' element",
      "/etc/passwd, INVALID_ARGUMENT, is absolute",
      "db,         INVALID_ARGUMENT, is not a regular file",
      "missing,    NOT_FOUND,        not found",
      "db/missing, NOT_FOUND,        not found",
  })
  void refuses(String name, Status.Code code, String message) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> files.read(new ObjectSpec(name, null, null)));
    assertEquals(code, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("object " + name + " "), e.getStatus().getDescription());
    assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
    assertFalse(e.getStatus().getDescription().contains("not yours"), "no content in messages");
  }

  @Test
  void anAliasThatEscapesIsRefused() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> files.read(new ObjectSpec("foo", "../foo", null)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("objectAlias contains a '..' element"));
  }

  @Test
  void aPinnedVersionMustMatch() {
    String version = files.read(new ObjectSpec("foo", null, null)).version();
    assertEquals(version, files.read(new ObjectSpec("foo", null, version)).version());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> files.read(new ObjectSpec("foo", null, "v1")));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertEquals("object foo is at version " + version + " but the class pins objectVersion v1",
        e.getStatus().getDescription());
  }

  @ParameterizedTest(name = "\"{0}\"")
  @CsvSource(value = {
      "foo|",
      "a/b/c|",
      "..foo|",
      "foo..|",
      "''|is empty",
      "/foo|is absolute",
      "..|contains a '..' element",
      "a/../b|contains a '..' element",
      "a/..|contains a '..' element",
  }, delimiter = '|')
  void nameRules(String name, String problem) {
    assertEquals(Optional.ofNullable(problem), ObjectFiles.nameProblem(name));
  }
}
