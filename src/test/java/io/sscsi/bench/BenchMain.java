package io.sscsi.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every benchmark's {@code main} does around its run: reads {@code --key=value} and {@code --flag}
 * arguments, and runs the bench with its clean-up both in a shutdown hook (Ctrl-C, a killed session) and
 * after the run, exiting 1 when the run threw.
 */
final class BenchMain {
  private BenchMain() {}

  /** A bench's run. */
  interface Run {
    void run() throws Exception;
  }

  /** {@code --key=value} as key to value and {@code --flag} as flag to "", in argument order. */
  static Map<String, String> args(String[] args) {
    Map<String, String> a = new LinkedHashMap<>();
    for (String arg : args) {
      String s = arg.replaceFirst("^--", "");
      int eq = s.indexOf('=');
      a.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
    }
    return a;
  }

  /** Runs {@code run}, then {@code cleanup} (also on the JVM's shutdown, as thread {@code hookName}), and exits. */
  static void runAndExit(String hookName, Runnable cleanup, Run run) {
    Runtime.getRuntime().addShutdownHook(new Thread(cleanup, hookName));
    int exit = 0;
    try {
      run.run();
    } catch (Throwable t) {
      t.printStackTrace();
      exit = 1;
    } finally {
      cleanup.run();
    }
    System.exit(exit);
  }
}
