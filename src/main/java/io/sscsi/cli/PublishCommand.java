package io.sscsi.cli;

import io.sscsi.csi.CsiMethods;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code sscsi publish}: plays kubelet for one inline volume. Sends the NodePublishVolume request
 * kubelet would send ({@link KubeletRequests}) to a driver's CSI socket and prints the outcome and
 * the files the volume now shows. For debugging a node. A failure prints exactly one line, {@code
 * sscsi publish: <status code>: <message>}, and exits 1; a usage error exits 2. Tokens given with
 * {@code --tokens} are sent but never printed.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = "Call NodePublishVolume on a driver as kubelet does for a pod's inline volume")
public final class PublishCommand implements Callable<Integer> {
  /** Built on first use: picocli creates every subcommand, and the driver should not pay for this one's Jackson. */
  private static final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder().build();
  }

  @Option(names = "--endpoint", defaultValue = "unix:///tmp/csi.sock", converter = SocketEndpoint.class,
      description = "the driver's CSI socket (default: ${DEFAULT-VALUE})")
  Path socket;

  @Option(names = "--target", required = true, paramLabel = "DIR", description = "the volume's target path")
  Path target;

  @Option(names = "--class", required = true, paramLabel = "SPC", description = "SecretProviderClass name (volume attribute secretProviderClass)")
  String className;

  @Option(names = "--pod-name", required = true, paramLabel = "NAME")
  String podName;

  @Option(names = "--pod-namespace", required = true, paramLabel = "NS", description = "the pod's namespace, where the class is looked up")
  String podNamespace;

  @Option(names = "--pod-uid", required = true, paramLabel = "UID")
  String podUid;

  @Option(names = "--service-account", required = true, paramLabel = "SA", description = "the pod's service account name")
  String serviceAccount;

  @Option(names = "--tokens", paramLabel = "JSON", description = "service-account tokens as kubelet passes them: {\"<audience>\":{\"token\":\"...\",\"expirationTimestamp\":\"...\"}}")
  String tokens;

  @Option(names = "--secrets", paramLabel = "KEY=VALUE|FILE", description = "node-publish secrets (kubelet's"
      + " secrets field): KEY=VALUE pairs, or a file holding a JSON object of strings; repeatable; never printed")
  List<String> secrets = List.of();

  @Option(names = "--volume-id", paramLabel = "ID", description = "volume handle (default: kubelet's,"
      + " csi-<sha256(pod uid + volume name)>, both read from the target path as kubelet lays it out)")
  String volumeId;

  @Mixin
  KubeletCall call;

  @Option(names = "--show-values", description = "print file contents (default: hidden)")
  boolean showValues;

  @Override
  public Integer call() {
    PrintWriter out = call.out();
    PrintWriter err = call.err();
    Optional<String> tokensJson;
    Map<String, String> publishSecrets;
    try {
      tokensJson = tokens(tokens);
      publishSecrets = secrets(secrets);
    } catch (IllegalArgumentException e) {
      err.println("sscsi publish: " + e.getMessage());
      return 2;
    }
    Path abs = target.toAbsolutePath().normalize();
    String id = volumeId != null ? volumeId : KubeletRequests.volumeHandle(abs);
    KubeletRequests.Pod pod = new KubeletRequests.Pod(podName, podNamespace, podUid, serviceAccount);
    try (SocketClient driver = SocketClient.open("driver", socket)) {
      driver.call(CsiMethods.NODE_PUBLISH, KubeletRequests.publish(abs, id, className, pod, tokensJson).toBuilder()
          .putAllSecrets(publishSecrets).build(), call.deadline());
    } catch (CliFailure f) {
      err.println(f.line("publish"));
      return 1;
    }
    out.println("published " + abs + " (volume " + id + ", class " + podNamespace + "/" + className + ", pod "
        + podNamespace + "/" + podName + ")");
    try {
      MountedTree.render(MountedTree.list(abs), showValues, "  ").forEach(out::println);
    } catch (IOException | RuntimeException e) {
      out.println("  (cannot list the files here: " + e.getMessage() + ")");
    }
    out.flush();
    return 0;
  }

  /**
   * The node-publish secrets of {@code --secrets}: each value is {@code KEY=VALUE} (split at the
   * first {@code =}) or the path of a file holding a JSON object of strings. No message quotes a
   * value or the file's text.
   */
  static Map<String, String> secrets(List<String> values) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String v : values) {
      int eq = v.indexOf('=');
      if (eq > 0) {
        out.put(v.substring(0, eq), v.substring(eq + 1));
        continue;
      }
      if (eq == 0) {
        throw new IllegalArgumentException("--secrets: a KEY=VALUE pair has an empty key");
      }
      JsonNode node;
      try {
        node = Json.MAPPER.readTree(Files.readString(Path.of(v)));
      } catch (IOException | JacksonException | java.io.UncheckedIOException e) {
        throw new IllegalArgumentException("--secrets: " + v + " is neither KEY=VALUE nor a readable JSON file");
      }
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException("--secrets: " + v + " must hold a JSON object of strings");
      }
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (!e.getValue().isString()) {
          throw new IllegalArgumentException("--secrets: the value of " + e.getKey() + " in " + v + " is not a string");
        }
        out.put(e.getKey(), e.getValue().asString());
      }
    }
    return out;
  }

  /** Checks that {@code --tokens} is a JSON object; its text is never put in a message. */
  static Optional<String> tokens(String json) {
    if (json == null) {
      return Optional.empty();
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(json);
    } catch (JacksonException e) {
      node = null;
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("--tokens must be a JSON object keyed by audience");
    }
    return Optional.of(json);
  }
}
