package io.sscsi.synccontroller;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code sscsi sync-controller}: the cluster-wide controller for SecretSync objects, compatible
 * with secrets-store-sync-controller. Its arguments are read with Go's flag rules by
 * {@link SyncControllerFlags}; the process is {@link SyncControllerProcess}.
 */
@Command(name = "sync-controller", description = "Sync provider secrets into Kubernetes Secrets (SecretSync objects)")
public final class SyncControllerCommand implements Callable<Integer> {
  @Unmatched
  List<String> args = new ArrayList<>();

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    SyncControllerFlags flags;
    try {
      flags = SyncControllerFlags.parse(args);
    } catch (RuntimeException e) {
      spec.commandLine().getErr().println("sscsi sync-controller: " + e.getMessage());
      return 2;
    }
    if (flags.help) {
      spec.commandLine().getOut().print(SyncControllerFlags.usage());
      return 0;
    }
    return SyncControllerProcess.run(flags);
  }
}
