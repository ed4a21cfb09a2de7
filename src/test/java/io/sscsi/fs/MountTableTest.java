package io.sscsi.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MountTableTest {
  private static final String SAMPLE =
      "22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
          + "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root"
          + " rw,errors=continue\n"
          + "601 22 0:55 / /var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my\\040vol/mount"
          + " rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,size=1024k,mode=755\n";

  @Test
  void parsesFieldsAndOptionalFields() {
    List<MountEntry> entries = MountTable.parse(SAMPLE);
    assertEquals(3, entries.size());
    MountEntry root = entries.get(0);
    assertEquals(22, root.mountId());
    assertEquals(Path.of("/"), root.mountPoint());
    assertEquals("ext4", root.fsType());
    assertEquals("/dev/vda1", root.source());
    MountEntry ext3 = entries.get(1);
    assertEquals(35, ext3.parentId());
    assertEquals("98:0", ext3.device());
    assertEquals("/mnt1", ext3.root());
    assertEquals("rw,errors=continue", ext3.superOptions());
    MountEntry tmpfs = entries.get(2);
    assertEquals(
        Path.of("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my vol/mount"),
        tmpfs.mountPoint());
    assertTrue(tmpfs.hasMountOption("noexec"));
    assertFalse(tmpfs.hasMountOption("exec"));
    assertEquals("1024k", tmpfs.superOption("size").orElseThrow());
    assertTrue(tmpfs.superOption("uid").isEmpty());
  }

  @ParameterizedTest
  @CsvSource({
    "plain, plain",
    "a\\040b, a b",
    "tab\\011x, tab\tx",
    "back\\134slash, back\\slash",
    "not\\08, not\\08",
    "trail\\04, trail\\04",
  })
  void decodesOctalEscapes(String raw, String decoded) {
    assertEquals(decoded, MountTable.unescape(raw));
  }

  @Test
  void decodesUtf8Bytes() {
    byte[] utf8 = "/m/\u00e9t\u00e9".getBytes(StandardCharsets.UTF_8);
    String raw = new String(utf8, StandardCharsets.ISO_8859_1);
    assertEquals("/m/\u00e9t\u00e9", MountTable.unescape(raw));
    assertEquals("/m/\u00e9", MountTable.unescape("/m/\\303\\251"));
  }

  @Test
  void rejectsGarbage() {
    assertThrows(DriverException.class, () -> MountTable.parse("this is not mountinfo\n"));
  }

  @Test
  void readsTheRealTable() {
    MountTable table = new MountTable();
    assertTrue(table.read().stream().anyMatch(e -> e.mountPoint().equals(Path.of("/"))));
    assertTrue(table.under(Path.of("/proc")).stream().anyMatch(e -> e.fsType().equals("proc")));
  }
  private static final String NODE =
      SAMPLE
          + "602 22 0:56 / /var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my\\040volume/mount rw - tmpfs tmpfs rw\n"
          + "603 601 0:57 / /var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my\\040vol/mount/inner rw - ext4 /dev/x rw\n"
          + "604 22 0:58 /sub /var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my\\040vol/mounted rw - tmpfs tmpfs rw\n"
          + "605 22 0:59 / /t\\134ab rw - tmpfs tmpfs rw\n"
          + "\n";

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my vol/mount | 601 603",
        "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my vol/mount/inner | 603",
        "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my volume/mount | 602",
        "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my vol | 601 603 604",
        "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/my | ''",
        "/t\\ab | 605",
        "/mnt2 | 36",
        "/mnt | ''",
        "/ | 22 36 601 602 603 604 605",
      })
  void findsTheMountsAtOrBelowAPathParsingOnlyThose(String path, String ids) {
    List<MountEntry> found = MountTable.parse(NODE, MountTable.escaped(Path.of(path)));
    String got = String.join(" ", found.stream().map(e -> String.valueOf(e.mountId())).toList());
    assertEquals(ids, got);
    List<MountEntry> filtered =
        MountTable.parse(NODE).stream().filter(e -> e.mountPoint().startsWith(Path.of(path))).toList();
    assertEquals(filtered, found);
  }

  @Test
  void aGarbageLineElsewhereDoesNotStopTheLookup() {
    String text = SAMPLE + "this is not mountinfo\n" + "7 1 0:1 / /broken/mount no separator\n";
    assertEquals(1, MountTable.parse(text, MountTable.escaped(Path.of("/mnt2"))).size());
    assertThrows(DriverException.class, () -> MountTable.parse(text, MountTable.escaped(Path.of("/broken"))));
  }

  @Test
  void readsTheRealTableAtOrBelowAPath() {
    MountTable table = new MountTable();
    List<MountEntry> proc = table.atOrBelow(Path.of("/proc"));
    assertTrue(proc.stream().anyMatch(e -> e.fsType().equals("proc")));
    assertTrue(proc.stream().allMatch(e -> e.mountPoint().startsWith(Path.of("/proc"))));
  }
  /**
   * A node's table with 10,000 volumes (~1.3 MiB here), read from a file as a stream: lines cross the
   * reader's buffers anywhere, and each lookup returns exactly what parsing the whole text returns.
   */
  @Test
  void aLargeTableReadAsAStreamGivesWhatTheWholeTextGives(@org.junit.jupiter.api.io.TempDir Path dir)
      throws java.io.IOException {
    StringBuilder text = new StringBuilder(SAMPLE);
    for (int n = 0; n < 10_000; n++) {
      text.append(700 + n).append(" 22 0:").append(100 + n).append(" / /var/lib/kubelet/pods/p").append(n)
          .append("/volumes/kubernetes.io~csi/v/mount rw,relatime - tmpfs tmpfs rw,size=").append(n).append("k\n");
    }
    text.append("20700 22 0:105 / /elsewhere/bound rw - tmpfs tmpfs rw"); // no final newline
    Path file = dir.resolve("mountinfo");
    java.nio.file.Files.write(file, text.toString().getBytes(StandardCharsets.ISO_8859_1));
    MountTable table = new MountTable(file);
    List<MountEntry> all = MountTable.parse(text.toString());
    assertEquals(10_004, all.size());
    assertEquals(all, table.read());
    for (int n : new int[] {0, 123, 4_999, 9_999}) {
      Path target = Path.of("/var/lib/kubelet/pods/p" + n + "/volumes/kubernetes.io~csi/v/mount");
      List<MountEntry> expected = all.stream().filter(e -> e.mountPoint().startsWith(target)).toList();
      assertEquals(1, expected.size());
      assertEquals(expected, table.atOrBelow(target));
    }
    Path five = Path.of("/var/lib/kubelet/pods/p5/volumes/kubernetes.io~csi/v/mount");
    List<MountEntry> withDevices = table.atOrBelowWithTheirDevices(five);
    assertEquals(List.of(Path.of(five.toString()), Path.of("/elsewhere/bound")),
        withDevices.stream().map(MountEntry::mountPoint).toList());
  }
}
