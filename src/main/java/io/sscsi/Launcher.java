package io.sscsi;

import io.sscsi.cli.DriverCommand;
import java.io.PrintWriter;
import java.util.List;

/**
 * The jar's entry point. A node's driver is read from its flag table ({@link DriverCommand#run}); every
 * other command goes to {@link Main}, the picocli command. Kept apart from {@link Main} because the
 * launcher loads every type named in the main class's method signatures, and Main's name picocli's.
 */
public final class Launcher {
  private Launcher() {}

  public static void main(String[] args) {
    Main.realCommonPool();
    if (Main.runsDriver(args)) { // no picocli model before the socket answers
      List<String> flags = List.of(args).subList(args[0].equals("driver") ? 1 : 0, args.length);
      System.exit(DriverCommand.run(flags, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }
    System.exit(Main.execute(Main.commandLine(), args));
  }
}
