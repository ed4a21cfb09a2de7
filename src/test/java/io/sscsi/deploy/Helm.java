package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.CHART;
import static io.sscsi.deploy.Manifests.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real helm binary for the chart tests: the SSCSI_HELM environment variable, the sscsi.helm system
 * property, or helm on the PATH. Without one, {@link #require()} skips the calling test (reported as
 * skipped, not passed).
 */
final class Helm {

  private static final String BINARY = Optional.ofNullable(System.getenv("SSCSI_HELM"))
      .or(() -> Optional.ofNullable(System.getProperty("sscsi.helm")))
      .filter(s -> !s.isBlank())
      .or(() -> Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
          .map(d -> Path.of(d, "helm")).filter(Files::isExecutable).map(Path::toString).findFirst())
      .orElse(null);

  /** What a helm run printed and how it ended. */
  record Result(int exit, String stdout, String stderr) {}

  private Helm() {}

  static boolean available() {
    return BINARY != null;
  }

  /** The helm binary; skips the calling test when there is none. */
  static String require() {
    Assumptions.assumeTrue(BINARY != null,
        "no helm binary (set SSCSI_HELM or put helm on the PATH): chart not rendered");
    return BINARY;
  }

  /**
   * {@code helm template <release> deploy/charts/sscsi} in kube-system with the CRDs, the given values
   * file text and {@code --set} pairs, as typed objects (hooks included).
   */
  static List<HasMetadata> template(Path tmp, String release, String valuesYaml, String kubeVersion,
      Map<String, String> set) throws IOException, InterruptedException {
    Result r = templateRaw(tmp, release, valuesYaml, kubeVersion, set);
    assertEquals(0, r.exit(), "helm template failed:\n" + r.stderr());
    return load(r.stdout(), "helm template " + release + " (" + kubeVersion + ", values: "
        + valuesYaml.replace('\n', ' ') + ", set: " + set + ")");
  }

  static Result templateRaw(Path tmp, String release, String valuesYaml, String kubeVersion,
      Map<String, String> set) throws IOException, InterruptedException {
    Path values = Files.writeString(Files.createTempFile(tmp, "values", ".yaml"), valuesYaml);
    List<String> command = new ArrayList<>(List.of(require(), "template", release, CHART.toString(),
        "--namespace", "kube-system", "--include-crds", "--kube-version", kubeVersion, "-f", values.toString()));
    set.forEach((k, v) -> command.addAll(List.of("--set", k + "=" + v)));
    return run(command);
  }

  static Result run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).start();
    // stderr is small (warnings, one error); read it after stdout, which can be large
    byte[] stdout = p.getInputStream().readAllBytes();
    byte[] stderr = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "helm did not finish");
    return new Result(p.exitValue(), new String(stdout, StandardCharsets.UTF_8),
        new String(stderr, StandardCharsets.UTF_8));
  }

  /** Objects that are Helm hooks (annotation helm.sh/hook): the CRD Jobs and their RBAC. */
  static boolean isHook(HasMetadata r) {
    Map<String, String> a = r.getMetadata().getAnnotations();
    return a != null && a.containsKey("helm.sh/hook");
  }

  /** The release's own objects, without hooks. */
  static List<HasMetadata> withoutHooks(List<HasMetadata> rendered) {
    return rendered.stream().filter(r -> !isHook(r)).toList();
  }

  static List<HasMetadata> hooks(List<HasMetadata> rendered) {
    return rendered.stream().filter(Helm::isHook).toList();
  }
}
