package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.DEPLOY;
import static io.sscsi.deploy.Manifests.YAML;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * SSC's example manifests (examples/sync-controller/, written from its README) validate against our
 * CRDs' OpenAPI schemas, as far as {@link OpenApiSchemaCheck} goes (no CEL, no defaulting; the two CEL
 * rules on reserved keys are checked by hand here). The table tests show the check refuses what the API
 * server would, so a pass means something.
 */
class SyncControllerExamplesTest {

  static final Path EXAMPLES = Path.of("examples/sync-controller");
  /** SSC's rule for a provider name (the socket file is <name>.sock). */
  static final Pattern PROVIDER_NAME = Pattern.compile("^[a-zA-Z0-9_-]{0,30}$");
  static final String RESERVED = "secrets-store.sync.x-k8s.io";

  static JsonNode schema(Path crd, String version) {
    JsonNode doc = YAML.readTree(Manifests.read(crd));
    for (JsonNode v : doc.path("spec").path("versions")) {
      if (v.path("name").asString().equals(version)) {
        return v.path("schema").path("openAPIV3Schema");
      }
    }
    throw new AssertionError(crd + " has no version " + version);
  }

  static final JsonNode SECRET_SYNC = schema(SyncChart.STATIC.resolve(SyncChart.CRD_FILE), "v1alpha1");
  static final JsonNode SPC = schema(DEPLOY.resolve("secrets-store.csi.x-k8s.io_secretproviderclasses.yaml"), "v1");

  /** Every document of every example file, with where it came from. */
  static List<JsonNode> documents() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (var files = Files.list(EXAMPLES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        out.addAll(Manifests.documents(Manifests.read(f)));
      }
    }
    return out;
  }

  @Test
  void everyExampleValidatesAgainstOurCrds() throws Exception {
    int syncs = 0;
    int classes = 0;
    for (JsonNode doc : documents()) {
      String what = doc.path("kind").asString() + "/" + doc.path("metadata").path("name").asString();
      switch (doc.path("apiVersion").asString() + " " + doc.path("kind").asString()) {
        case "secret-sync.x-k8s.io/v1alpha1 SecretSync" -> {
          syncs++;
          assertEquals(List.of(), OpenApiSchemaCheck.problems(SECRET_SYNC, doc), what);
          JsonNode object = doc.path("spec").path("secretObject");
          for (String map : List.of("labels", "annotations")) {
            object.path(map).propertyNames().forEach(k ->
                assertFalse(k.startsWith(RESERVED), what + ": reserved " + map + " key " + k));
          }
          object.path("labels").properties().forEach(e ->
              assertTrue(e.getKey().length() <= 317 && e.getValue().asString().length() <= 63, what + " label " + e.getKey()));
        }
        case "secrets-store.csi.x-k8s.io/v1 SecretProviderClass" -> {
          classes++;
          assertEquals(List.of(), OpenApiSchemaCheck.problems(SPC, doc), what);
          assertTrue(PROVIDER_NAME.matcher(doc.path("spec").path("provider").asString()).matches(), what);
        }
        default -> throw new AssertionError("not a SecretSync or SecretProviderClass v1: " + what);
      }
    }
    assertTrue(syncs >= 2 && classes >= 1, syncs + " SecretSyncs, " + classes + " classes");
  }

  /** SSC's README example, then each SecretSync refers to a class that the examples define. */
  @Test
  void sscReadmeExampleIsThere() throws Exception {
    List<JsonNode> docs = documents();
    JsonNode readme = docs.stream().filter(d -> d.path("metadata").path("name").asString().equals("sse2esecret"))
        .findFirst().orElseThrow();
    assertEquals("Opaque", readme.path("spec").path("secretObject").path("type").asString(),
        "SSC v0.0.4 required the type; its manifests set it");
    List<String> classes = docs.stream().filter(d -> d.path("kind").asString().equals("SecretProviderClass"))
        .map(d -> d.path("metadata").path("name").asString()).toList();
    docs.stream().filter(d -> d.path("kind").asString().equals("SecretSync")).forEach(d ->
        assertTrue(classes.contains(d.path("spec").path("secretProviderClassName").asString()), d.toString()));
  }

  /** A valid SecretSync with one field changed: the check finds the problem, at that path. */
  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', value = {
      "/spec/serviceAccountName         | <absent>             | .spec: missing required field serviceAccountName",
      "/spec/secretProviderClassName    | Not_A_Name           | .spec.secretProviderClassName: Not_A_Name does not match",
      "/spec/serviceAccountName         | ''                   | .spec.serviceAccountName: shorter than 1",
      "/spec/secretObject/data          | []                   | .spec.secretObject.data: fewer than 1 items",
      "/spec/secretObject/data/0/sourcePath | dir/file         | .spec.secretObject.data[0].sourcePath: dir/file does not match",
      "/spec/secretObject/data/1/targetKey  | bar              | .spec.secretObject.data[1]: duplicate key",
      "/spec/secretObject/type          | 'a b'                | .spec.secretObject.type: a b does not match",
      "/spec/secretObject/typo          | Opaque               | .spec.secretObject.typo: unknown field",
      "/spec/forceSynchronization       | -now                 | .spec.forceSynchronization: -now does not match",
      "/spec/secretObject/labels/app    | 42                   | .spec.secretObject.labels.app: not a string",
      "/status/conditions/0/status      | Maybe                | .status.conditions[0].status: \"Maybe\" is not one of",
      "/status/lastSuccessfulSyncTime   | yesterday            | .status.lastSuccessfulSyncTime: not a date-time",
  })
  void theCheckRefusesWhatTheApiServerWould(String pointer, String value, String problem) {
    ObjectNode doc = (ObjectNode) YAML.readTree("""
        apiVersion: secret-sync.x-k8s.io/v1alpha1
        kind: SecretSync
        metadata: {name: s, namespace: ns}
        spec:
          serviceAccountName: default
          secretProviderClassName: spc
          secretObject:
            labels: {app: x}
            data:
              - {sourcePath: foo, targetKey: bar}
              - {sourcePath: foo/2, targetKey: baz}
        status:
          conditions:
            - {type: SecretCreated, status: "True", reason: CreateSuccessful, message: "", lastTransitionTime: "2026-12-07T10:00:00Z"}
        """);
    assertEquals(List.of(), OpenApiSchemaCheck.problems(SECRET_SYNC, doc), "the base document is valid");
    int cut = pointer.lastIndexOf('/');
    JsonNode parent = doc.at(pointer.substring(0, cut));
    String field = pointer.substring(cut + 1);
    if (parent instanceof ObjectNode o) {
      if (value.equals("<absent>")) {
        o.remove(field);
      } else {
        o.set(field, YAML.readTree(value.isEmpty() ? "''" : value));
      }
    } else {
      ((tools.jackson.databind.node.ArrayNode) parent).set(Integer.parseInt(field), YAML.readTree(value));
    }
    List<String> problems = OpenApiSchemaCheck.problems(SECRET_SYNC, doc);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith(problem)), problems.toString());
    String path = problem.substring(0, problem.indexOf(':'));
    assertTrue(problems.stream().allMatch(p -> p.startsWith(path)), "only that field: " + problems);
  }

  /** secretObject.type may be left out (SSC's staging schema; the API server defaults it to Opaque). */
  @Test
  void typeIsOptionalWithDefaultOpaque() {
    JsonNode type = SECRET_SYNC.at("/properties/spec/properties/secretObject/properties/type");
    assertEquals("Opaque", type.path("default").asString());
    List<String> required = new ArrayList<>();
    SECRET_SYNC.at("/properties/spec/properties/secretObject/required").forEach(r -> required.add(r.asString()));
    assertEquals(List.of("data"), required);
  }
}
