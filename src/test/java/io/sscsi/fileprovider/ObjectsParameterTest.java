package io.sscsi.fileprovider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.fileprovider.ObjectsParameter.ObjectSpec;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@code objects} parameter: upstream's mock-provider format and the plain list, and every refusal. */
class ObjectsParameterTest {

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of("upstream e2e format", "array:\n  - |\n    objectName: foo\n    objectVersion: v1\n",
            List.of(new ObjectSpec("foo", null, "v1"))),
        Arguments.of("alias and nested name", "array:\n  - |\n    objectName: db/pass\n    objectAlias: password\n"
            + "  - |\n    objectName: key\n",
            List.of(new ObjectSpec("db/pass", "password", null), new ObjectSpec("key", null, null))),
        Arguments.of("plain list of maps", "- objectName: foo\n- objectName: bar\n  objectAlias: baz\n",
            List.of(new ObjectSpec("foo", null, null), new ObjectSpec("bar", "baz", null))),
        Arguments.of("array of maps", "array:\n  - objectName: foo\n", List.of(new ObjectSpec("foo", null, null))),
        Arguments.of("flow style", "[{objectName: foo}]", List.of(new ObjectSpec("foo", null, null))),
        Arguments.of("blank alias and version are absent", "- objectName: foo\n  objectAlias: ''\n  objectVersion: ' '\n",
            List.of(new ObjectSpec("foo", null, null))),
        Arguments.of("numeric version is text", "- objectName: foo\n  objectVersion: 2\n",
            List.of(new ObjectSpec("foo", null, "2"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void parses(String name, String text, List<ObjectSpec> expected) {
    assertEquals(expected, ObjectsParameter.parse(text));
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("missing", null, "parameter objects is empty"),
        Arguments.of("blank", "  \n", "parameter objects is empty"),
        Arguments.of("empty list", "array: []\n", "lists no object"),
        Arguments.of("scalar", "foo\n", "must be a YAML list"),
        Arguments.of("map without array", "objectName: foo\n", "must be a YAML list"),
        Arguments.of("array not a list", "array: foo\n", "array must hold a list"),
        Arguments.of("entry without objectName", "- objectAlias: foo\n", "objects[0] has no objectName"),
        Arguments.of("entry is a number", "- 3\n", "objects[0] must be a map"),
        Arguments.of("entry string is not a map", "array:\n  - |\n    just text\n", "objects[0] must be a map"),
        Arguments.of("unknown key", "- objectName: foo\n  objectAliass: bar\n", "objects[0] has unknown key objectAliass"),
        Arguments.of("nested value", "- objectName: {a: b}\n", "objects[0].objectName must be a string"),
        Arguments.of("invalid YAML", "array:\n  - objectName: foo\n  bad: [\n", "parameter objects is not valid YAML"),
        Arguments.of("invalid YAML inside an entry", "array:\n  - |\n    objectName: s3cr3t: x\n",
            "objects[0] is not valid YAML"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refuses(String name, String text, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObjectsParameter.parse(text));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertFalse(e.getMessage().contains("s3cr3t"), "no parameter text quoted: " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }
}
