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
      assertEquals(FailureKind.TARGET_NOT_OURS, e.kind());
      assertTrue(e.getMessage().contains("nested"), e.getMessage());
      assertTrue(Files.exists(nested.resolve("f")));
    } finally {
      mounter.unmount(nested);
    }
  }

  /**
   * Issue 12 item 4: check, then destroy. A volume with a mount nested inside is refused before
   * anything is deleted: the payload, {@code ..data} and the nested mount's files all stay.
   */
  @Test
  void aVolumeWithANestedMountIsRefusedBeforeAnythingIsDeleted() throws IOException {
    mounter.mountTmpfs(target, 0);
    new AtomicWriter().write(target, List.of(new PayloadFile("a", 0644, bytes("A"))));
    Path nested = Files.createDirectory(target.resolve("zz-nested"));
    mounter.mountTmpfs(nested, 0);
    Files.writeString(nested.resolve("f"), "v");
    try {
      DriverException e = assertThrows(DriverException.class, () -> cleaner.cleanup(target, mounter));

      assertEquals(FailureKind.TARGET_NOT_OURS, e.kind());
      assertEquals("A", Files.readString(target.resolve("a")), "the payload is kept");
      assertTrue(Files.isSymbolicLink(target.resolve("..data")), "..data is kept");
      assertEquals("v", Files.readString(nested.resolve("f")), "the nested mount is not emptied");
      assertEquals(2, table.under(target).size(), "nothing unmounted");
    } finally {
      mounter.unmount(nested);
    }
  }

  /**
   * A failure after the deletion started (the unmount is busy: a process works inside) says the
   * content is gone ({@link ContentDeleted}), so the volume is never reported good again until it is
   * rewritten; a refusal before it (the nested-mount test above) is a plain DriverException.
   */
  @Test
  void aBusyUnmountAfterDeletingSaysTheContentIsGone() throws Exception {
    mounter.mountTmpfs(target, 0);
    new AtomicWriter().write(target, List.of(new PayloadFile("a", 0644, bytes("A"))));
    Process busy = new ProcessBuilder("sleep", "300").directory(target.toFile()).start();
    try {
      ContentDeleted e = assertThrows(ContentDeleted.class, () -> cleaner.cleanup(target, mounter));

      assertEquals(FailureKind.MOUNT_FAILED, e.error().kind(), e.getMessage());
      assertFalse(Files.exists(target.resolve("a")), "the payload was deleted before the unmount failed");
      assertEquals(1, table.under(target).size(), "still mounted");
    } finally {
      busy.destroyForcibly();
      assertTrue(busy.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
    }
  }

  /**
   * Issue 12 item 3: a bind mount of another directory of the same filesystem at the target (which
   * a device comparison cannot see) is foreign: cleanup detaches it and deletes nothing in it.
   */
  @Test
  void aForeignBindMountIsDetachedNotEmptied() throws Exception {
    bind(outside, target);
    assertEquals("precious", Files.readString(target.resolve("keep")), "the bind shows the outside directory");

    cleaner.cleanup(target, mounter);

    assertEquals("precious", Files.readString(outside.resolve("keep")), "nothing deleted through the bind");
    assertTrue(table.under(tmp).isEmpty(), "the foreign mount is detached");
    assertFalse(Files.exists(target), "the empty directory under it is removed");
  }

  /** Issue 12 item 3: a foreign mount is not emptied by the undo of a failed publish either. */
  @Test
  void unmountOnlyRefusesAForeignMount() throws Exception {
    bind(outside, target);

    DriverException e = assertThrows(DriverException.class, () -> cleaner.unmountOnly(target, mounter));

    assertEquals(FailureKind.TARGET_NOT_OURS, e.kind());
    assertEquals("precious", Files.readString(outside.resolve("keep")));
    assertEquals(1, table.under(target).size(), "left mounted for its owner");
  }

  /** {@code mount --bind source target}, as an administrator (or an attacker) would. */
  static void bind(Path source, Path target) throws Exception {
    Process p = new ProcessBuilder("mount", "--bind", source.toString(), target.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
