package io.sscsi.fs;

import io.sscsi.testkit.Integration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Integration
class TargetDirCleanerTest {
  @TempDir Path tmp;
  private Path target;
  private Path outside;
  private final JnrMounter mounter = new JnrMounter();
  private final TargetDirCleaner cleaner = new TargetDirCleaner();
  private final MountTable table = new MountTable();

  @BeforeEach
  void setUp() throws IOException {
    target = Files.createDirectory(tmp.resolve("mount"));
    outside = Files.createDirectory(tmp.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "precious");
  }

  @AfterEach
  void unmountEverything() {
    mounter.unmount(target);
  }

  @Test
  void removesAMountedAndWrittenTarget() {
    mounter.mountTmpfs(target, 0);
    new AtomicWriter()
        .write(
            target,
            List.of(
                new PayloadFile("a", 0400, bytes("A")), new PayloadFile("d/x", 0644, bytes("X"))));
    assertEquals(1, table.under(target).size());

    cleaner.cleanup(target, mounter);

    assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
    assertTrue(table.under(tmp).isEmpty());
  }

  @Test
  void missingTargetIsSuccessAndCleanupIsIdempotent() {
    cleaner.cleanup(tmp.resolve("missing"), mounter);
    cleaner.cleanup(target, mounter);
    cleaner.cleanup(target, mounter);
    assertFalse(Files.exists(target));
  }

  @Test
  void symlinkInsideTargetIsRemovedNotFollowed() throws IOException {
    mounter.mountTmpfs(target, 0);
    Files.createSymbolicLink(target.resolve("link"), outside);
    Files.createSymbolicLink(target.resolve("file-link"), outside.resolve("keep"));
    Files.createDirectories(target.resolve("d"));
    Files.createSymbolicLink(target.resolve("d/deeper"), outside);

    cleaner.cleanup(target, mounter);

    assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
    assertEquals(Set.of("keep"), AtomicWriterTest.names(outside));
    assertEquals("precious", Files.readString(outside.resolve("keep")));
  }

  @Test
  void targetThatIsASymlinkIsRemovedNotFollowed() throws IOException {
    Files.delete(target);
    Files.createSymbolicLink(target, outside);

    cleaner.cleanup(target, mounter);

    assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
    assertEquals("precious", Files.readString(outside.resolve("keep")));
  }

  @Test
  void removesStackedMountsAndWhatWasUnderneath() throws IOException {
    Files.writeString(target.resolve("under"), "u");
    mounter.mountTmpfs(target, 0);
    Files.writeString(target.resolve("first"), "1");
    mounter.mountTmpfs(target, 0);
    Files.writeString(target.resolve("second"), "2");

    cleaner.cleanup(target, mounter);

    assertFalse(Files.exists(target));
    assertTrue(table.under(tmp).isEmpty());
  }

  @Test
  void refusesToEmptyANestedMount() throws IOException {
    Path nested = Files.createDirectory(target.resolve("nested"));
    mounter.mountTmpfs(nested, 0);
    Files.writeString(nested.resolve("f"), "v");
    try {
      DriverException e =
          assertThrows(DriverException.class, () -> cleaner.cleanup(target, mounter));
      assertEquals(FailureKind.TARGET_PATH_FAILED, e.kind());
      assertTrue(e.getMessage().contains("nested"), e.getMessage());
      assertTrue(Files.exists(nested.resolve("f")));
    } finally {
      mounter.unmount(nested);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
