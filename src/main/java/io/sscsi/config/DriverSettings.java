package io.sscsi.config;

import com.typesafe.config.Config;
import io.sscsi.admin.HostPort;
import io.sscsi.fs.PayloadRules;
import io.sscsi.grpc.UnixChannels;
import io.sscsi.k8s.SecretOwnerPolicy;
import io.sscsi.provider.ProviderSettings;
import io.sscsi.volume.VolumeSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The driver's settings, read once from the {@code sscsi.driver} HOCON namespace; every check of a
 * setting's value happens here, so a bad value stops the driver at start with one clear message.
 */
public record DriverSettings(
    Path socket,
    String driverName,
    String nodeId,
    Optional<Path> kubeconfig,
    ProviderSettings providers,
    VolumeSettings volumes,
    HostPort adminAddress,
    HostPort metricsAddress,
    SecretOwnerPolicy secretOwners,
    java.time.Duration watchStaleAfter) {

  public static DriverSettings from(Config root) {
    Config c = root.getConfig("sscsi.driver");
    Path socket = UnixChannels.socketPath(c.getString("endpoint"));
    String driverName = c.getString("driver-name").trim();
    if (driverName.isEmpty()) {
      throw new IllegalArgumentException("--drivername must not be empty");
    }
    List<Path> dirs = new ArrayList<>();
    for (String dir : c.getStringList("additional-provider-volume-paths")) {
      if (!dir.isBlank()) {
        dirs.add(Path.of(dir.trim()));
      }
    }
    dirs.add(Path.of(c.getString("provider-volume")));
    int maxRecv = c.getInt("max-call-recv-msg-size");
    if (maxRecv <= 0) {
      throw new IllegalArgumentException("--max-call-recv-msg-size must be positive, got " + maxRecv);
    }
    if (c.getBoolean("provider-health-check") && (c.getDuration("provider-health-check-interval").isZero() || c.getDuration("provider-health-check-interval").isNegative())) {
      throw new IllegalArgumentException("--provider-health-check-interval must be positive with --provider-health-check");
    }
    Config p = c.getConfig("provider");
    ProviderSettings providers = new ProviderSettings(dirs, p.getInt("max-in-flight"), p.getInt("max-queued"),
        p.getDuration("call-timeout"), maxRecv, p.getInt("circuit-breaker.max-failures"),
        p.getDuration("circuit-breaker.reset-timeout"),
        c.getBoolean("provider-health-check") ? c.getDuration("provider-health-check-interval") : null,
        ProviderSettings.UPSTREAM_RECONNECT,
        c.getBoolean("strict-payload") ? PayloadRules.Policy.STRICT : PayloadRules.Policy.UPSTREAM);
    String kubeconfig = c.getString("kubeconfig");
    String nodeId = c.getString("node-id");
    // upstream skips a republish while now < mtime + interval: 0 or less never skips, so every
    // republish calls the provider; a timer with no interval would spin, so it is off then
    java.time.Duration rotationInterval = c.getDuration("rotation-poll-interval");
    if (rotationInterval.isNegative()) {
      rotationInterval = java.time.Duration.ZERO;
    }
    boolean rotationTimer = c.getBoolean("rotation-timer") && !rotationInterval.isZero();
    VolumeSettings volumes = new VolumeSettings(nodeId, c.getBytes("tmpfs-size"),
        providers.callTimeout(), c.getBoolean("enable-secret-rotation"), rotationInterval, rotationTimer,
        c.getString("kubelet-dir").isBlank() ? null : Path.of(c.getString("kubelet-dir"), "pods"));
    return new DriverSettings(socket, driverName, nodeId,
        kubeconfig.isBlank() ? Optional.empty() : Optional.of(Path.of(kubeconfig)), providers, volumes,
        HostPort.parse(c.getString("admin-addr"), "--admin-addr"),
        HostPort.parse(c.getString("metrics-addr"), "--metrics-addr"),
        SecretOwnerPolicy.parse(c.getString("secret-owner")), watchStaleAfter(c));
  }

  /** {@code watch-stale-after}: zero (off) or positive. */
  private static java.time.Duration watchStaleAfter(Config c) {
    java.time.Duration d = c.getDuration("watch-stale-after");
    if (d.isNegative()) {
      throw new IllegalArgumentException("watch-stale-after must be 0 (off) or positive, got " + d);
    }
    return d;
  }
}
