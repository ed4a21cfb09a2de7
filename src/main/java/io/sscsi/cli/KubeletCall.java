package io.sscsi.cli;

import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the commands that make one kubelet call ({@code publish}, {@code unpublish}) share: the call's deadline
 * option and the command's output streams.
 */
final class KubeletCall {

  @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS", description = "call deadline (default: ${DEFAULT-VALUE}, kubelet's)")
  int seconds;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  Duration deadline() {
    return Duration.ofSeconds(seconds);
  }

  PrintWriter out() {
    return command.commandLine().getOut();
  }

  PrintWriter err() {
    return command.commandLine().getErr();
  }
}
