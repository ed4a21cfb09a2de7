package io.sscsi.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** --tmpfs-mount-options: none by default (upstream), mount flags and tmpfs's own options when asked. */
class TmpfsOptionsTest {

  @ParameterizedTest(name = "''{0}''")
  @CsvSource(delimiter = '|', value = {
      "                               | 0  |                       | no options",
      "nosuid,nodev,noexec            | 14 |                       | nosuid,nodev,noexec",
      "noexec, mode=0755              | 8  | mode=0755             | noexec,mode=0755",
      "size=16m,nr_inodes=1k,uid=0    | 0  | size=16m,nr_inodes=1k,uid=0 | size=16m,nr_inodes=1k,uid=0",
      "huge=never,noswap,inode64      | 0  | huge=never,noswap,inode64 | huge=never,noswap,inode64"})
  void parses(String text, long flags, String data, String described) {
    TmpfsOptions o = TmpfsOptions.parse(text == null ? "" : text);
    assertEquals(flags, o.flags());
    assertEquals(data, o.mountData(0));
    assertEquals(described, o.describe());
  }

  @Test
  void aSizeCapIsAddedUnlessTheOptionsSetOne() {
    assertEquals("size=4096", TmpfsOptions.NONE.mountData(4096));
    assertNull(TmpfsOptions.NONE.mountData(0));
    assertEquals("mode=0755,size=4096", TmpfsOptions.parse("mode=0755").mountData(4096));
    assertEquals("size=1m", TmpfsOptions.parse("size=1m").mountData(4096));
  }

  @ParameterizedTest
  @ValueSource(strings = {"exec", "ro", "mode=abc", "mode=08", "size=", "uid=root", "huge=sometimes", "bind", "remount"})
  void refusesWhatTmpfsWouldNotTake(String option) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TmpfsOptions.parse("nosuid," + option));
    assertTrue(e.getMessage().contains("--tmpfs-mount-options: '" + option + "'"), e.getMessage());
  }
}
