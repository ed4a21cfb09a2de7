package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.spc.ProviderClass;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MountRequestsTest {
  static final ProviderClass SPC = new ProviderClass("ns", "spc", "vault",
      Map.of("roleName", "app", "secretProviderClass", "from-params"), List.of());

  static PublishRequest request(Map<String, String> context, Map<String, String> secrets) {
    return new PublishRequest("v", Path.of("/t"), "spc", "pod", "ns", "u", context, secrets);
  }

  @Test
  void attributesAreParametersOverlaidWithVolumeContextSortedLikeGo() {
    var r = MountRequests.build(SPC, request(Map.of("secretProviderClass", "spc", "b", "2", "a", "1"), Map.of()), Map.of());
    assertEquals("{\"a\":\"1\",\"b\":\"2\",\"roleName\":\"app\",\"secretProviderClass\":\"spc\"}", r.attributesJson());
    assertEquals("null", r.secretsJson(), "no secrets: the JSON literal null, as Go encodes a nil map");
    assertEquals("420", r.permission());
    assertEquals("/t", r.targetPath());
  }

  @Test
  void tokensFromTheSecretsFieldWinOverTheVolumeContext() {
    String key = ServiceAccountTokens.KEY;
    var r = MountRequests.build(SPC, request(Map.of(key, "ctx"), Map.of(key, "sec", "user", "u1")), Map.of());
    assertTrue(r.attributesJson().contains("\"" + key + "\":\"sec\""), r.attributesJson());
    assertTrue(r.secretsJson().contains("\"user\":\"u1\""));
    assertFalse(r.toString().contains("u1"), "toString hides secrets");
  }

  @Test
  void tokensOnlyInTheVolumeContextAreForwarded() {
    String key = ServiceAccountTokens.KEY;
    var r = MountRequests.build(SPC, request(Map.of(key, "ctx"), Map.of()), Map.of("secret/a", "1"));
    assertTrue(r.attributesJson().contains("\"" + key + "\":\"ctx\""));
    assertEquals(Map.of("secret/a", "1"), r.currentVersions());
  }

  @Test
  void jsonEscapesQuotesAndNewlines() {
    var r = MountRequests.build(SPC, request(Map.of("objects", "array:\n  - |\n    objectName: \"x\""), Map.of()), Map.of());
    assertTrue(r.attributesJson().contains("array:\\n  - |\\n    objectName: \\\"x\\\""), r.attributesJson());
  }
}
