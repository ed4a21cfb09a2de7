package io.sscsi.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds the driver's one Kubernetes client: from an explicit kubeconfig when one is given, else by
 * fabric8's auto-configuration (in-cluster service account, then {@code $KUBECONFIG} or
 * {@code ~/.kube/config}). Building reads local files only and never contacts the API server, so
 * the driver starts and serves CSI Identity with no API server reachable; the first request
 * fails fast instead. fabric8 retries I/O errors and 5xx answers itself, with exponential backoff:
 * {@link Settings#retries()} bounds that so a dead API server cannot outlast kubelet's deadline.
 */
public final class KubeClientFactory {

  private KubeClientFactory() {}

  /**
   * How to build the client.
   *
   * @param kubeconfig an explicit kubeconfig file; empty for auto-configuration
   * @param connectTimeout TCP/TLS connect timeout
   * @param requestTimeout timeout of one HTTP request
   * @param retries how many times fabric8 retries a request after an I/O error or a 5xx answer
   * @param retryInterval the first retry's delay (doubled for each further retry)
   * @param userAgent the User-Agent header
   */
  public record Settings(
      Optional<Path> kubeconfig,
      Duration connectTimeout,
      Duration requestTimeout,
      int retries,
      Duration retryInterval,
      String userAgent) {

    public Settings {
      Objects.requireNonNull(kubeconfig, "kubeconfig");
      Objects.requireNonNull(connectTimeout, "connectTimeout");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      Objects.requireNonNull(retryInterval, "retryInterval");
      Objects.requireNonNull(userAgent, "userAgent");
      if (retries < 0) {
        throw new IllegalArgumentException("retries must not be negative");
      }
    }

    /**
     * The driver's defaults: connect timeout 5 s, request timeout 10 s, one retry after 250 ms,
     * user agent {@code sscsi/<version>}.
     */
    public static Settings defaults(Optional<Path> kubeconfig, String version) {
      return new Settings(
          kubeconfig,
          Duration.ofSeconds(5),
          Duration.ofSeconds(10),
          1,
          Duration.ofMillis(250),
          "sscsi/" + version);
    }
  }

  /**
   * Builds the client without contacting the API server.
   *
   * @throws IllegalArgumentException when an explicit kubeconfig cannot be read or parsed
   */
  public static KubeConnection create(Settings settings) {
    return new KubeConnection(new KubernetesClientBuilder().withConfig(config(settings)).build());
  }

  /**
   * The fabric8 configuration for {@code settings}; reads local files only. The base config is
   * changed in place rather than copied through a ConfigBuilder: a copy would lose the kubeconfig
   * file and the auto-configure flag that fabric8 needs to re-read a rotated service account token
   * or kubeconfig credential after a 401.
   */
  static Config config(Settings settings) {
    Config config;
    if (settings.kubeconfig().isPresent()) {
      Path path = settings.kubeconfig().get();
      if (!Files.isReadable(path)) {
        throw new IllegalArgumentException("kubeconfig " + path + " does not exist or is not readable");
      }
      try {
        config = Config.fromKubeconfig(path.toFile());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "kubeconfig " + path + " cannot be used: " + e.getClass().getSimpleName(), e);
      }
    } else {
      config = Config.autoConfigure(null);
    }
    config.setConnectionTimeout(millis(settings.connectTimeout()));
    config.setRequestTimeout(millis(settings.requestTimeout()));
    config.setRequestRetryBackoffLimit(settings.retries());
    config.setRequestRetryBackoffInterval(millis(settings.retryInterval()));
    config.setUserAgent(settings.userAgent());
    return config;
  }

  private static int millis(Duration d) {
    return Math.toIntExact(d.toMillis());
  }
}
