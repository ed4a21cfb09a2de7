package io.sscsi.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sscsi provider}: the providers bundled in this jar, one subcommand each. */
@Command(name = "provider", mixinStandardHelpOptions = true,
    description = "Run a provider bundled with sscsi", subcommands = {FileProviderCommand.class})
public final class ProviderCommand implements Runnable {
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }
}
