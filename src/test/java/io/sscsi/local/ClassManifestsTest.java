package io.sscsi.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.spc.ProviderClass;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Manifests as a user would kubectl apply them: what is found, what is skipped, what is a problem. */
class ClassManifestsTest {
  static final String SPC = "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\n";

  static Stream<Arguments> files() {
    return Stream.of(
        // name, yaml, found keys ("ns/name" or "ns/name!reason-fragment" for invalid), problem fragments
        Arguments.of("one class, namespace defaults", SPC + "metadata: {name: a}\nspec: {provider: file, parameters: {objects: x}}\n",
            List.of("default/a"), List.of()),
        Arguments.of("several documents, other kinds skipped",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\n" + SPC
                + "metadata: {name: a, namespace: team}\nspec: {provider: file, parameters: {objects: x}}\n---\n"
                + "apiVersion: secrets-store.csi.x-k8s.io/v1alpha1\nkind: SecretProviderClass\n"
                + "metadata: {name: b}\nspec: {provider: file, parameters: {objects: y}}\n---\n",
            List.of("team/a", "default/b"), List.of()),
        Arguments.of("kind List", "apiVersion: v1\nkind: List\nitems:\n- " + SPC.replace("\n", "\n  ")
                + "metadata: {name: a}\n  spec: {provider: file, parameters: {objects: x}}\n",
            List.of("default/a"), List.of()),
        Arguments.of("empty file", "", List.of(), List.of()),
        Arguments.of("no provider", SPC + "metadata: {name: a}\nspec: {parameters: {objects: x}}\n",
            List.of("default/a!provider not set in default/a"), List.of()),
        Arguments.of("no parameters", SPC + "metadata: {name: a}\nspec: {provider: file}\n",
            List.of("default/a!parameters not set in default/a"), List.of()),
        Arguments.of("no spec", SPC + "metadata: {name: a}\n", List.of("default/a!provider not set"), List.of()),
        Arguments.of("parameter that is not a string", SPC + "metadata: {name: a}\nspec: {provider: f, parameters: {o: {x: 1}}}\n",
            List.of("default/a!spec cannot be read"), List.of()),
        Arguments.of("unknown apiVersion", "apiVersion: secrets-store.csi.x-k8s.io/v2\nkind: SecretProviderClass\nmetadata: {name: a}\n",
            List.of(), List.of("f.yaml document 1: SecretProviderClass with apiVersion \"secrets-store.csi.x-k8s.io/v2\" is not supported")),
        Arguments.of("no name", SPC + "metadata: {}\n", List.of(), List.of("f.yaml document 1: SecretProviderClass without metadata.name")),
        Arguments.of("not a mapping", "- a\n- b\n", List.of(), List.of("f.yaml document 1: not a mapping")),
        Arguments.of("invalid YAML, no source quoted", SPC + "metadata: {name: a}\nspec:\n  parameters:\n    password: hunter2: x\n",
            List.of(), List.of("f.yaml: invalid YAML: mapping values are not allowed here at line 6, column 22")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void parses(String name, String yaml, List<String> found, List<String> problems) {
    ClassManifests.Parsed parsed = ClassManifests.parse(yaml, "f.yaml");
    assertEquals(found.size(), parsed.classes().size(), parsed.toString());
    for (int i = 0; i < found.size(); i++) {
      ClassManifests.Entry e = parsed.classes().get(i);
      String[] expected = found.get(i).split("!", 2);
      assertEquals(expected[0], e.key());
      assertEquals("f.yaml", e.source());
      if (expected.length == 1) {
        assertNull(e.invalid());
        assertEquals(e.namespace(), e.spc().namespace());
      } else {
        assertNull(e.spc());
        assertTrue(e.invalid().contains(expected[1]), e.invalid());
      }
    }
    assertEquals(problems.size(), parsed.problems().size(), parsed.problems().toString());
    for (int i = 0; i < problems.size(); i++) {
      assertTrue(parsed.problems().get(i).startsWith(problems.get(i)), parsed.problems().get(i));
      assertFalse(parsed.problems().get(i).contains("hunter2"));
    }
  }

  @Test
  void keepsProviderParametersAndSecretObjects() {
    String yaml = SPC + "metadata: {name: a, namespace: ns}\nspec:\n  provider: file\n  parameters:\n"
        + "    objects: |\n      - objectName: foo\n    count: 3\n  secretObjects:\n  - secretName: s\n    type: Opaque\n"
        + "    labels: {l: v}\n    data:\n    - {objectName: foo, key: k}\n";
    ProviderClass spc = ClassManifests.parse(yaml, "f.yaml").classes().get(0).spc();
    assertEquals("file", spc.provider());
    assertEquals(Map.of("objects", "- objectName: foo\n", "count", "3"), spc.parameters());
    assertEquals(List.of(new ProviderClass.SecretObject("s", "Opaque", Map.of("l", "v"), Map.of(),
        List.of(new ProviderClass.DataItem("foo", "k")))), spc.secretObjects());
  }
}
