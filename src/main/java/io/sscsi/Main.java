package io.sscsi;

import io.sscsi.cli.CyclesCommand;
import io.sscsi.cli.DemoCommand;
import io.sscsi.cli.ProviderCommand;
import io.sscsi.cli.PublishCommand;
import io.sscsi.cli.UnpublishCommand;
import io.sscsi.cli.VolumesCommand;
import io.sscsi.cli.DriverCommand;
import io.sscsi.config.SscsiVersion;
import java.util.ArrayList;
import java.util.List;
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
        VolumesCommand.class, CyclesCommand.class, io.sscsi.synccontroller.SyncControllerCommand.class})
public final class Main implements Runnable {

  /** As {@link Launcher}, the jar's entry point. */
  public static void main(String[] args) {
    Launcher.main(args);
  }

  /** Whether {@link #execute} will run the driver: its start must not pay for every other subcommand's classes. */
  static boolean runsDriver(String... args) {
    return args.length > 0 && (args[0].equals("driver") || args[0].startsWith("-") && !isHelpOrVersion(args[0]));
  }

  private static boolean isHelpOrVersion(String arg) {
    return List.of("-h", "--help", "-V", "--version").contains(arg);
  }

  /**
   * Runs {@code args} as upstream's binary would read them: a first argument that is a flag means
   * the driver (so upstream's DaemonSet args work without {@code driver}), and the driver's command
   * line is read with Go's flag rules from its flag table ({@link DriverCommand#run}), writing to the
   * driver subcommand's streams of {@code cli}. Other subcommands are plain picocli.
   *
   * @return the exit code: 2 for a command line Go's flag package would refuse
   */
  public static int execute(CommandLine cli, String... args) {
    List<String> given = new ArrayList<>(List.of(args));
    if (!given.isEmpty() && given.get(0).startsWith("-")) {
      given.add(0, "driver");
    }
    if (!given.isEmpty() && given.get(0).equals("driver")) {
      CommandLine driver = cli.getSubcommands().get("driver");
      return DriverCommand.run(given.subList(1, given.size()), driver.getOut(), driver.getErr());
    }
    return cli.execute(given.toArray(String[]::new));
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
