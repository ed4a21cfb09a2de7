package io.sscsi;

import io.sscsi.cli.CyclesCommand;
import io.sscsi.cli.DemoCommand;
import io.sscsi.cli.ProviderCommand;
import io.sscsi.cli.PublishCommand;
import io.sscsi.cli.UnpublishCommand;
import io.sscsi.cli.VolumesCommand;
import io.sscsi.config.DriverCommand;
import io.sscsi.config.SscsiVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sscsi} command: one jar, one subcommand per role. */
@Command(
    name = "sscsi",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Secrets Store CSI Driver on Apache Pekko",
    subcommands = {
        DriverCommand.class, ProviderCommand.class, PublishCommand.class, UnpublishCommand.class, DemoCommand.class,
        VolumesCommand.class, CyclesCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    realCommonPool();
    System.exit(commandLine().execute(args));
  }

  /**
   * With 2 CPUs (a DaemonSet pod's usual share) the JDK's common pool has parallelism 1 and then
   * runs every CompletableFuture callback it gets on a new thread (BENCHMARKS.md: ~3.5 threads per
   * publish). Give it a real pool before anything uses it, unless the operator chose a value.
   */
  static void realCommonPool() {
    String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(key) == null) {
      System.setProperty(key, String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
    }
  }

  /** The parser with sscsi's conventions: one line per error, Go-style boolean flags. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("sscsi: " + ex.getMessage());
      return 2;
    });
    return cli;
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"sscsi " + SscsiVersion.current()};
    }
  }
}
