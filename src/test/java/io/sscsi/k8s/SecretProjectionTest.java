package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClass.DataItem;
import io.sscsi.spc.ProviderClass.SecretObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Secret a secretObjects entry asks for, built from mounted files: the table of cases. */
class SecretProjectionTest {

  static final ProviderClass SPC = new ProviderClass("app", "vault-db", "vault", Map.of("a", "b"), List.of());
  static final String CONTENT = "s3cr3t-VALUE-9a1f";
  static final Map<String, byte[]> FILES = Map.of(
      "db-password", bytes(CONTENT),
      "db-user", bytes("admin"),
      "nested/config.json", bytes("{\"k\":1}"));

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static SecretObject entry(String name, String type, DataItem... items) {
    return new SecretObject(name, type, Map.of("team", "db"), Map.of("note", "synced"), List.of(items));
  }

  static Stream<Arguments> types() {
    return Stream.of(
        Arguments.of(null, "Opaque"),
        Arguments.of("", "Opaque"),
        Arguments.of("  ", "Opaque"),
        Arguments.of("Opaque", "Opaque"),
        Arguments.of("kubernetes.io/basic-auth", "kubernetes.io/basic-auth"),
        Arguments.of("bootstrap.kubernetes.io/token", "bootstrap.kubernetes.io/token"),
        Arguments.of("kubernetes.io/dockerconfigjson", "kubernetes.io/dockerconfigjson"),
        Arguments.of("kubernetes.io/dockercfg", "kubernetes.io/dockercfg"),
        Arguments.of("kubernetes.io/ssh-auth", "kubernetes.io/ssh-auth"),
        Arguments.of("kubernetes.io/service-account-token", "kubernetes.io/service-account-token"),
        Arguments.of("example.com/custom", "example.com/custom"));
  }

  @ParameterizedTest(name = "type \"{0}\" -> {1}")
  @MethodSource("types")
  void typesPassThroughAndEmptyMeansOpaque(String type, String expected) {
    DesiredSecret s = SecretProjection.project(SPC,
        entry("db", type, new DataItem("db-password", "password")), FILES);
    assertEquals(expected, s.type());
    assertArrayEquals(bytes(CONTENT), s.value("password"));
  }

  @Test
  void theDocumentedTypesAreTheEightUpstreamLists() {
    assertEquals(8, SecretProjection.DOCUMENTED_TYPES.size());
    assertEquals(8, Set.copyOf(SecretProjection.DOCUMENTED_TYPES).size());
  }

  @Test
  void buildsNameDataLabelsAndAnnotations() {
    DesiredSecret s = SecretProjection.project(SPC, entry(" db-creds ", "Opaque",
        new DataItem(" db-password ", " password "),
        new DataItem("db-user", "username"),
        new DataItem("nested/config.json", "config.json")), FILES);
    assertEquals("app", s.namespace());
    assertEquals("db-creds", s.name());
    assertEquals(Set.of("password", "username", "config.json"), s.data().keySet());
    assertArrayEquals(bytes("admin"), s.value("username"));
    assertArrayEquals(bytes("{\"k\":1}"), s.value("config.json"));
    assertEquals(Map.of("team", "db", SecretProjection.MANAGED_LABEL, "true"), s.labels());
    assertEquals(Map.of("note", "synced"), s.annotations());
    assertFalse(s.toString().contains(CONTENT), s.toString());
  }

  @Test
  void theManagedLabelCannotBeSwitchedOffByTheClass() {
    SecretObject so = new SecretObject("db", "Opaque", Map.of(SecretProjection.MANAGED_LABEL, "false"), Map.of(),
        List.of(new DataItem("db-user", "u")));
    assertEquals("true", SecretProjection.project(SPC, so, FILES).labels().get(SecretProjection.MANAGED_LABEL));
  }

  @Test
  void oneFileMayFeedSeveralKeys() {
    DesiredSecret s = SecretProjection.project(SPC, entry("db", "Opaque",
        new DataItem("db-user", "a"), new DataItem("db-user", "b")), FILES);
    assertArrayEquals(s.value("a"), s.value("b"));
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("missing file", entry("db", "Opaque", new DataItem("nope", "k")),
            "file matching objectName \"nope\" not found in the pod"),
        Arguments.of("empty secretName", entry(" ", "Opaque", new DataItem("db-user", "k")), "secretName is empty"),
        Arguments.of("bad secretName", entry("Bad_Name", "Opaque", new DataItem("db-user", "k")),
            "not a valid Secret name"),
        Arguments.of("no data", entry("db", "Opaque"), "data is empty"),
        Arguments.of("no objectName", entry("db", "Opaque", new DataItem(" ", "k")), "has no objectName"),
        Arguments.of("no key", entry("db", "Opaque", new DataItem("db-user", null)),
            "the data item for objectName \"db-user\" has no key"),
        Arguments.of("bad key", entry("db", "Opaque", new DataItem("db-user", "a key")), "not a valid Secret data key"),
        Arguments.of("duplicate key", entry("db", "Opaque", new DataItem("db-user", "k"), new DataItem("db-password", "k")),
            "key \"k\" is listed more than once"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void invalidEntriesNameTheSecretAndObjectButNoContent(String name, SecretObject so, String expected) {
    DriverException e = assertThrows(DriverException.class, () -> SecretProjection.project(SPC, so, FILES));
    assertEquals(FailureKind.SPC_INVALID, e.kind());
    assertTrue(e.getMessage().startsWith("cannot build Secret app/"), e.getMessage());
    assertTrue(e.getMessage().contains("from SecretProviderClass vault-db"), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertFalse(e.getMessage().contains(CONTENT), e.getMessage());
  }

  @Test
  void dataLargerThanASecretCanHoldIsRefused() {
    byte[] big = new byte[700 * 1024];
    DriverException e = assertThrows(DriverException.class, () -> SecretProjection.project(SPC,
        entry("db", "Opaque", new DataItem("a", "a"), new DataItem("b", "b")), Map.of("a", big, "b", big)));
    assertTrue(e.getMessage().contains("1 MiB"), e.getMessage());
  }

  @Test
  void objectNamesAreTheTrimmedFilesTheEntryReads() {
    assertEquals(List.of("db-password", "db-user"), List.copyOf(SecretProjection.objectNames(entry("db", "Opaque",
        new DataItem(" db-password ", "a"), new DataItem("db-user", "b"), new DataItem("db-user", "c"),
        new DataItem("", "d")))));
  }

  @Test
  void secretNamesAreDnsSubdomains() {
    assertTrue(SecretProjection.validSecretName("db-creds.v1"));
    assertFalse(SecretProjection.validSecretName("DB"));
    assertFalse(SecretProjection.validSecretName("-db"));
    assertFalse(SecretProjection.validSecretName(""));
    assertFalse(SecretProjection.validSecretName("a".repeat(254)));
  }
}
