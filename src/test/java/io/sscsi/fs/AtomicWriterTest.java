package io.sscsi.fs;

import io.sscsi.testkit.Integration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AtomicWriterTest {
  private static final FileTime OLD = FileTime.fromMillis(1_000_000_000_000L);

  @TempDir Path tmp;
  private Path target;
  private Path outside;
  private final AtomicWriter writer = new AtomicWriter();

  @BeforeEach
  void setUp() throws IOException {
    target = Files.createDirectory(tmp.resolve("mount"));
    outside = Files.createDirectory(tmp.resolve("outside"));
  }

  @Test
  void firstWritePublishesTheKubeletLayout() throws IOException {
    assertTrue(writer.write(target, List.of(file("a", "A"), file("d/e/x", "X"))));

    String ts = writer.currentDataDir(target).orElseThrow();
    assertTrue(AtomicWriter.TIMESTAMP_DIR.matcher(ts).matches(), ts);
    assertEquals(Path.of(ts), Files.readSymbolicLink(target.resolve("..data")));
    assertEquals(Path.of("..data/a"), Files.readSymbolicLink(target.resolve("a")));
    assertEquals(Path.of("..data/d"), Files.readSymbolicLink(target.resolve("d")));
    assertEquals("A", read(target.resolve("a")));
    assertEquals("X", read(target.resolve("d/e/x")));
    assertEquals(Set.of("..data", ts, "a", "d"), names(target));
    assertEquals("rwxr-xr-x", perms(target.resolve(ts)));
    assertEquals("rwxr-xr-x", perms(target.resolve(ts).resolve("d")));
    assertEquals("rwxr-xr-x", perms(target.resolve(ts).resolve("d/e")));
  }

  @Test
  void aFreshTmpfsGetsTheSameLayoutWithoutLookingFirst() throws IOException {
    assertTrue(writer.writeFresh(target, CheckedPayload.of(List.of(file("a", "A", 0600), file("d/e/x", "X")))));

    String ts = writer.currentDataDir(target).orElseThrow();
    assertTrue(AtomicWriter.TIMESTAMP_DIR.matcher(ts).matches(), ts);
    assertEquals(Path.of("..data/a"), Files.readSymbolicLink(target.resolve("a")));
    assertEquals(Path.of("..data/d"), Files.readSymbolicLink(target.resolve("d")));
    assertEquals("A", read(target.resolve("a")));
    assertEquals("X", read(target.resolve("d/e/x")));
    assertEquals(Set.of("..data", ts, "a", "d"), names(target));
    assertEquals("rw-------", perms(target.resolve(ts).resolve("a")));
    assertEquals("rwxr-xr-x", perms(target.resolve(ts).resolve("d/e")));
    assertFalse(writer.write(target, List.of(file("a", "A", 0600), file("d/e/x", "X"))),
        "what the fresh write left is exactly what the careful writer publishes");
  }

  @Test
  void aFreshTmpfsThatIsNotEmptyAfterAllIsWrittenTheCarefulWay() throws IOException {
    Files.createDirectories(target.resolve("d/sub"));
    Files.writeString(target.resolve("d/sub/old"), "legacy"); // a provider wrote into the target itself

    assertTrue(writer.writeFresh(target, CheckedPayload.of(List.of(file("d/x", "X")))));

    assertTrue(Files.isSymbolicLink(target.resolve("d")));
    assertEquals(Set.of("d/x"), new MountedFiles().list(target).keySet());
    String ts = writer.currentDataDir(target).orElseThrow();
    assertEquals(Set.of("..data", ts, "d"), names(target), "the first attempt's directory is gone too");
  }

  @Test
  void unchangedPayloadDoesNotTouchTheDisk() throws IOException {
    List<PayloadFile> payload = List.of(file("a", "A"), file("d/x", "X", 0600));
    assertTrue(writer.write(target, payload));
    String ts = writer.currentDataDir(target).orElseThrow();
    Files.setLastModifiedTime(target, OLD);

    assertFalse(writer.write(target, List.of(file("d/x", "X", 0600), file("a", "A"))));

    assertEquals(ts, writer.currentDataDir(target).orElseThrow());
    assertEquals(OLD, Files.getLastModifiedTime(target, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void modeOrContentChangeIsAChange() throws IOException {
    assertTrue(writer.write(target, List.of(file("a", "A", 0644))));
    String first = writer.currentDataDir(target).orElseThrow();
    Files.setLastModifiedTime(target, OLD);

    assertTrue(writer.write(target, List.of(file("a", "A", 0600))));
    String second = writer.currentDataDir(target).orElseThrow();
    assertNotEquals(first, second);
    assertEquals("rw-------", perms(target.resolve("a")));
    assertNotEquals(OLD, Files.getLastModifiedTime(target, LinkOption.NOFOLLOW_LINKS));

    assertTrue(writer.write(target, List.of(file("a", "B", 0600))));
    assertEquals("B", read(target.resolve("a")));
  }

  @Test
  void updateReplacesContentAndRemovesStaleFiles() throws IOException {
    writer.write(
        target, List.of(file("a", "A1"), file("b", "B"), file("d/x", "X"), file("d/y", "Y")));
    String old = writer.currentDataDir(target).orElseThrow();

    assertTrue(writer.write(target, List.of(file("a", "A2"), file("c", "C"), file("d/y", "Y2"))));

    String ts = writer.currentDataDir(target).orElseThrow();
    assertNotEquals(old, ts);
    assertEquals(Set.of("..data", ts, "a", "c", "d"), names(target));
    assertEquals("A2", read(target.resolve("a")));
    assertEquals("C", read(target.resolve("c")));
    assertEquals("Y2", read(target.resolve("d/y")));
    assertFalse(Files.exists(target.resolve("d/x")));
    assertEquals(Set.of("a", "c", "d/y"), new MountedFiles().list(target).keySet());
  }

  @Test
  void removingAFileIsAChangeEvenIfTheRestIsIdentical() throws IOException {
    writer.write(target, List.of(file("a", "A"), file("b", "B")));
    assertTrue(writer.write(target, List.of(file("a", "A"))));
    assertFalse(Files.exists(target.resolve("b"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(writer.write(target, List.of(file("a", "A"))));
  }

  @ParameterizedTest
  @ValueSource(ints = {0400, 0644, 0600, 0777, 0640, 0})
  void writesExactModesRegardlessOfUmask(int mode) throws IOException {
    // the JVM runs with umask 022, so 0777 proves the explicit chmod
    writer.write(target, List.of(file("f", "v", mode), file("d/g", "v", mode)));
    String expected = PosixFilePermissions.toString(AtomicWriter.toPermissions(mode));
    assertEquals(expected, perms(target.resolve("f")));
    assertEquals(expected, perms(target.resolve("d/g")));
    assertFalse(writer.write(target, List.of(file("f", "v", mode), file("d/g", "v", mode))));
  }

  @Test
  void emptyPayloadPublishesAnEmptyDirectory() throws IOException {
    writer.write(target, List.of(file("a", "A")));
    assertTrue(writer.write(target, List.of()));
    String ts = writer.currentDataDir(target).orElseThrow();
    assertEquals(Set.of("..data", ts), names(target));
    assertFalse(writer.write(target, List.of()));
  }

  @Test
  void plantedFileSymlinkIsReplacedAndItsTargetUntouched() throws IOException {
    Path victim = Files.writeString(outside.resolve("victim"), "precious");
    Files.createSymbolicLink(target.resolve("a"), victim);

    assertTrue(writer.write(target, List.of(file("a", "A"))));

    assertEquals(Path.of("..data/a"), Files.readSymbolicLink(target.resolve("a")));
    assertEquals("A", read(target.resolve("a")));
    assertEquals("precious", Files.readString(victim));
  }

  @Test
  void plantedDirectorySymlinkIsNotWrittenThrough() throws IOException {
    Files.writeString(outside.resolve("keep"), "precious");
    Files.createSymbolicLink(target.resolve("d"), outside);

    writer.write(target, List.of(file("d/x", "X"), file("d/keep", "overwritten?")));

    assertEquals(Set.of("keep"), names(outside));
    assertEquals("precious", Files.readString(outside.resolve("keep")));
    assertEquals("overwritten?", read(target.resolve("d/keep")));
  }

  @Test
  void symlinkPlantedAfterAWriteIsRepairedByAnIdenticalWrite() throws IOException {
    Path victim = Files.writeString(outside.resolve("victim"), "precious");
    List<PayloadFile> payload = List.of(file("a", "A"));
    writer.write(target, payload);
    Files.delete(target.resolve("a"));
    Files.createSymbolicLink(target.resolve("a"), victim);

    assertTrue(writer.write(target, payload));

    assertEquals("A", read(target.resolve("a")));
    assertEquals("precious", Files.readString(victim));
  }

  @Test
  void providerWrittenDirectoryIsReplaced() throws IOException {
    Files.createDirectories(target.resolve("d/sub"));
    Files.writeString(target.resolve("d/sub/old"), "legacy");

    writer.write(target, List.of(file("d/x", "X")));

    assertTrue(Files.isSymbolicLink(target.resolve("d")));
    assertEquals(Set.of("d/x"), new MountedFiles().list(target).keySet());
  }

  @Test
  void plantedDataLinkIsReplacedWithoutDeletingWhatItPointsTo() throws IOException {
    Files.writeString(outside.resolve("keep"), "precious");
    Files.createSymbolicLink(target.resolve("..data"), outside);
    assertTrue(writer.currentDataDir(target).isEmpty());

    writer.write(target, List.of(file("a", "A")));

    assertEquals("A", read(target.resolve("a")));
    assertEquals("precious", Files.readString(outside.resolve("keep")));
  }

  @Test
  void leftoverTimestampDirectoriesAreRemovedOnTheNextChange() throws IOException {
    writer.write(target, List.of(file("a", "A")));
    Path crash = Files.createDirectory(target.resolve("..2020_01_01_00_00_00.12345"));
    Files.writeString(crash.resolve("a"), "half-written");

    writer.write(target, List.of(file("a", "B")));

    assertFalse(Files.exists(crash));
    assertEquals(3, names(target).size()); // ..data, ts dir, a
  }

  @Test
  void invalidPayloadLeavesTheDiskAlone() throws IOException {
    writer.write(target, List.of(file("a", "A")));
    Files.setLastModifiedTime(target, OLD);
    DriverException e =
        assertThrows(
            DriverException.class, () -> writer.write(target, List.of(file("../escape", "E"))));
    assertEquals(FailureKind.PROVIDER_BAD_PAYLOAD, e.kind());
    assertEquals(OLD, Files.getLastModifiedTime(target));
    assertFalse(Files.exists(tmp.resolve("escape")));
  }

  @Test
  void missingTargetIsATargetPathFailure() {
    Path missing = tmp.resolve("missing");
    DriverException e =
        assertThrows(DriverException.class, () -> writer.write(missing, List.of(file("a", "A"))));
    assertEquals(FailureKind.TARGET_PATH_FAILED, e.kind());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  @Integration
  void fullTmpfsFailsTheWriteAndKeepsThePreviousPayload() throws IOException {
    JnrMounter mounter = new JnrMounter();
    mounter.mountTmpfs(target, 64 * 1024);
    try {
      writer.write(target, List.of(file("a", "A")));
      String before = writer.currentDataDir(target).orElseThrow();
      byte[] big = new byte[256 * 1024];
      Arrays.fill(big, (byte) 'S');

      DriverException e =
          assertThrows(
              DriverException.class,
              () -> writer.write(target, List.of(new PayloadFile("a", 0644, big))));

      assertEquals(FailureKind.WRITE_FAILED, e.kind());
      assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
      assertFalse(e.getMessage().contains("SSSS"), e.getMessage());
      assertEquals(before, writer.currentDataDir(target).orElseThrow());
      assertEquals(Set.of("..data", before, "a"), names(target), "new directory cleaned up");
      assertEquals("A", read(target.resolve("a")));
    } finally {
      mounter.unmount(target);
    }
  }

  @Test
  void mountedFilesListsUserVisiblePathsOnly() throws IOException {
    writer.write(target, List.of(file("a", "A"), file("d/x", "X"), file("d/e/y", "Y")));
    Files.writeString(outside.resolve("foreign"), "not ours");
    Files.createSymbolicLink(target.resolve("escape"), outside);
    Files.createSymbolicLink(target.resolve("dangling"), tmp.resolve("nothing"));

    Map<String, Path> files = new MountedFiles().list(target);

    assertEquals(new TreeSet<>(List.of("a", "d/e/y", "d/x")), files.keySet());
    assertEquals(target.toAbsolutePath().resolve("d/e/y"), files.get("d/e/y"));
    assertEquals("Y", read(files.get("d/e/y")));
  }

  @Test
  void mountedFilesIncludesFilesAProviderWroteItself() throws IOException {
    Files.createDirectories(target.resolve("dir"));
    Files.writeString(target.resolve("dir/k"), "v");
    Files.writeString(target.resolve("top"), "v");
    assertEquals(Set.of("dir/k", "top"), new MountedFiles().list(target).keySet());
    assertTrue(writer.currentDataDir(target).isEmpty());
  }

  private static PayloadFile file(String path, String value) {
    return file(path, value, 0644);
  }

  private static PayloadFile file(String path, String value, int mode) {
    return new PayloadFile(path, mode, value.getBytes(StandardCharsets.UTF_8));
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p);
  }

  private static String perms(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    }
  }
}
