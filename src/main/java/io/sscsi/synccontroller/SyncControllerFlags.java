package io.sscsi.synccontroller;

import io.sscsi.cli.DriverCommand;
import io.sscsi.config.GoBool;
import io.sscsi.config.GoDuration;
import io.sscsi.config.GoFlags;
import io.sscsi.config.GoInt;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The flags of {@code sscsi sync-controller}, with SSC's names and defaults where SSC has them. They
 * are read with Go's flag rules first ({@link GoFlags}: one or two dashes, {@code -flag value},
 * repeated flags), as the driver's are, so SSC's Deployment args work unchanged.
 */
public final class SyncControllerFlags {
  @Option(names = "--provider-volume", description = "provider socket directory (default /provider)")
  String providerVolume = "/provider";

  @Option(names = "--token-request-audience", description = "comma list of token audiences (spaces trimmed)")
  String tokenRequestAudience = "";

  @Option(names = "--rotation-poll-interval", converter = GoDuration.Signed.class,
      description = "resync every SecretSync this often (Go duration, default 12h; 0 = off)")
  Duration rotationPollInterval = Duration.ofHours(12);

  @Option(names = "--metrics-bind-address", description = "Prometheus endpoint (default :8085)")
  String metricsBindAddress = ":8085";

  @Option(names = "--health-probe-bind-address", description = "/healthz and /readyz (default :8081)")
  String healthProbeBindAddress = ":8081";

  @Option(names = "--admin-addr", description = "GET /secretsyncs (default 127.0.0.1:8095); empty = off")
  String adminAddr = "127.0.0.1:8095";

  @Option(names = "--leader-elect", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "run only while holding the Lease")
  Boolean leaderElect = false;

  @Option(names = "--leader-election-id", description = "the Lease's name")
  String leaderElectionId = "29f1d54e.secret-sync.x-k8s.io";

  @Option(names = "--leader-election-namespace", description = "the Lease's namespace (default $POD_NAMESPACE)")
  String leaderElectionNamespace = System.getenv("POD_NAMESPACE");

  @Option(names = "--leader-elect-lease-duration", converter = GoDuration.class,
      description = "how long a Lease holds without renewal (Go duration, default 15s)")
  Duration leaseDuration = Duration.ofSeconds(15);

  @Option(names = "--leader-elect-renew-deadline", converter = GoDuration.class,
      description = "how long the leader tries to renew before it gives up and exits (default 10s)")
  Duration renewDeadline = Duration.ofSeconds(10);

  @Option(names = "--leader-elect-retry-period", converter = GoDuration.class,
      description = "how often the Lease is tried and renewed (default 2s)")
  Duration retryPeriod = Duration.ofSeconds(2);

  @Option(names = "--watch-stale-after", converter = GoDuration.class,
      description = "/readyz fails when a running watch has seen no event or bookmark for this long (default 0: off)")
  Duration watchStaleAfter = Duration.ZERO;

  @Option(names = "--max-call-recv-msg-size", converter = GoInt.Base0.class,
      description = "largest provider response in bytes (default 4 MiB)")
  Integer maxCallRecvMsgSize = 4 << 20;

  @Option(names = "--kubeconfig", description = "kubeconfig path (default: in-cluster)")
  String kubeconfig;

  @Option(names = "--local-classes", description = "local mode: SecretProviderClass manifests from this directory, no API server")
  String localClasses;

  @Option(names = "--local-secretsyncs", description = "local mode: SecretSync manifests from this directory")
  String localSecretSyncs;

  @Option(names = "--local-secrets-out",
      description = "local mode: write each Secret as <dir>/<namespace>/<name>.yaml (default: print them on stdout)")
  String localSecretsOut;

  @Option(names = "--local-file-provider",
      description = "local mode: serve the files under this directory as provider \"file\" (the bundled file provider)")
  String localFileProvider;

  @Option(names = "--once", arity = "0..1", fallbackValue = "true", converter = GoBool.class,
      description = "local mode: sync every SecretSync once, then exit (1 when one failed)")
  Boolean once = false;

  @Option(names = {"-v", "--v"}, converter = GoInt.Level.class, description = "log verbosity (klog's -v)")
  Integer verbosity;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
  boolean help;

  /**
   * @throws GoFlags.BadFlag for what Go's flag package refuses
   * @throws CommandLine.ParameterException for a value that does not convert
   */
  public static SyncControllerFlags parse(List<String> args) {
    SyncControllerFlags flags = new SyncControllerFlags();
    CommandLine cli = new CommandLine(flags);
    GoFlags.Parsed parsed = DriverCommand.goFlags(cli.getCommandSpec()).parse(args);
    cli.parseArgs(parsed.args().toArray(String[]::new));
    if (parsed.helpAsked()) {
      flags.help = true;
    }
    return flags;
  }

  /** Local mode: SecretSyncs and classes from directories, Secrets to files or stdout, no API server. */
  public boolean local() {
    return localSecretSyncs != null && !localSecretSyncs.isBlank();
  }

  /** Why the local flags given do not make a local mode (usage error), or empty. */
  public java.util.Optional<String> localProblem() {
    boolean anyLocal = given(localClasses) || given(localSecretsOut) || given(localFileProvider) || once;
    if (!local() && anyLocal) {
      return java.util.Optional.of("--local-classes, --local-secrets-out, --local-file-provider and --once"
          + " need --local-secretsyncs DIR (local mode)");
    }
    if (local() && !given(localClasses)) {
      return java.util.Optional.of("--local-secretsyncs needs --local-classes DIR (the SecretProviderClass manifests;"
          + " it may be the same directory)");
    }
    return java.util.Optional.empty();
  }

  private static boolean given(String value) {
    return value != null && !value.isBlank();
  }

  public List<String> audiences() {
    return Audiences.parse(tokenRequestAudience);
  }

  public Duration rotationPollInterval() {
    return rotationPollInterval.isNegative() ? Duration.ZERO : rotationPollInterval;
  }

  static String usage() {
    return new CommandLine(new SyncControllerFlags()).getUsageMessage();
  }
}
