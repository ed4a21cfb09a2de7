package io.sscsi.bench;

import io.sscsi.fs.JnrMounter;
import io.sscsi.fs.MountEntry;
import io.sscsi.fs.MountTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A bench's clean-up of what its runs leave: child processes and mounts. Failures are printed, never thrown. */
final class Leftovers {
  private Leftovers() {}

  /** SIGTERM to every process, then SIGKILL to each still running after {@code grace}. */
  static void stop(List<Process> processes, Duration grace) {
    List<Process> all = new ArrayList<>(processes);
    all.forEach(Process::destroy);
    for (Process p : all) {
      try {
        if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
  }

  /** Unmounts whatever is still mounted under {@code dir}, the deepest first; how many mounts were there. */
  static int unmountUnder(Path dir) {
    try {
      List<MountEntry> left = new MountTable().under(dir);
      JnrMounter m = new JnrMounter();
      left.stream().map(MountEntry::mountPoint).sorted(Comparator.reverseOrder()).forEach(mp -> {
        try {
          m.unmount(mp);
        } catch (RuntimeException e) {
          System.out.println("cleanup: " + e.getMessage());
        }
      });
      return left.size();
    } catch (RuntimeException e) {
      System.out.println("cleanup: " + e.getMessage());
      return 0;
    }
  }
}
