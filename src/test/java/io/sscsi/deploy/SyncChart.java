package io.sscsi.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sync controller's chart (deploy/charts/sscsi-sync-controller) and static manifests
 * (deploy/sync-controller/), and {@code helm template} of that chart with a real helm ({@link Helm}).
 */
final class SyncChart {

  static final Path CHART = Manifests.DEPLOY.resolve("charts/sscsi-sync-controller");
  static final Path STATIC = Manifests.DEPLOY.resolve("sync-controller");
  /** The release and namespace the static manifests were rendered with. */
  static final String RELEASE = "sscsi-sync-controller";
  static final String NAMESPACE = "secrets-store-sync-controller-system";
  static final String CRD_FILE = "secret-sync.x-k8s.io_secretsyncs.yaml";

  /** SSC's policy names (the bindings are these plus "-binding"). */
  static final Set<String> POLICIES = Set.of(
      "secrets-store-sync-controller-create-update-policy",
      "secrets-store-sync-controller-update-check-oldobject-policy",
      "secrets-store-sync-controller-update-label-policy",
      "secrets-store-sync-controller-delete-policy",
      "secrets-store-sync-controller-validate-token-policy");

  private SyncChart() {}

  /** {@code helm template <release> <chart> -n <namespace>} with the values text and --set pairs. */
  static Helm.Result templateRaw(Path tmp, String release, String namespace, String valuesYaml,
      Map<String, String> set) throws IOException, InterruptedException {
    Path values = Files.writeString(Files.createTempFile(tmp, "values", ".yaml"), valuesYaml);
    List<String> command = new ArrayList<>(List.of(Helm.require(), "template", release, CHART.toString(),
        "--namespace", namespace, "--include-crds", "--kube-version", "1.34.0", "-f", values.toString()));
    set.forEach((k, v) -> command.addAll(List.of("--set", k + "=" + v)));
    return Helm.run(command);
  }

  /** NOTES.txt as {@code helm install --dry-run=client} prints it (helm template does not render NOTES). */
  static String notes(Path tmp, String namespace, String valuesYaml) throws IOException, InterruptedException {
    Path values = Files.writeString(Files.createTempFile(tmp, "values", ".yaml"), valuesYaml);
    Helm.Result r = Helm.run(List.of(Helm.require(), "install", RELEASE, CHART.toString(), "--namespace", namespace,
        "--dry-run=client", "-f", values.toString()));
    assertEquals(0, r.exit(), "helm install --dry-run=client failed:\n" + r.stderr());
    int at = r.stdout().indexOf("NOTES:");
    assertTrue(at >= 0, "no NOTES in:\n" + r.stdout());
    return r.stdout().substring(at);
  }

  /** The rendered objects, strictly typed ({@link Manifests#load}). */
  static List<HasMetadata> render(Path tmp, String namespace, String valuesYaml, Map<String, String> set)
      throws IOException, InterruptedException {
    Helm.Result r = templateRaw(tmp, RELEASE, namespace, valuesYaml, set);
    assertEquals(0, r.exit(), "helm template failed:\n" + r.stderr());
    return Manifests.load(r.stdout(), "helm template " + CHART + " (values: " + valuesYaml.replace('\n', ' ')
        + ", set: " + set + ")");
  }

  /** Every static manifest of the sync controller, typed. */
  static List<HasMetadata> staticObjects() throws IOException {
    List<HasMetadata> out = new ArrayList<>();
    for (Path f : staticFiles()) {
      out.addAll(Manifests.load(f));
    }
    return out;
  }

  static List<Path> staticFiles() throws IOException {
    try (var files = Files.list(STATIC)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }
}
