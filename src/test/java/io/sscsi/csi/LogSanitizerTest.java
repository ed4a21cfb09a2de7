package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.csi.v1.NodeStageVolumeRequest;
import io.sscsi.testkit.Requests;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LogSanitizerTest {

  @Test
  void publishRequestLosesSecretsAndTokensButKeepsTheRest() {
    String text = LogSanitizer.describe(Requests.publish(Path.of("/t"), "ns", "pod", "u", "spc")
        .putSecrets("password", "hunter2")
        .putVolumeContext("csi.storage.k8s.io/serviceAccount.tokens", "{\"aud\":{\"token\":\"jwt\"}}")
        .build());
    assertFalse(text.contains("hunter2"));
    assertFalse(text.contains("jwt"));
    assertTrue(text.contains("secrets: <1 keys>"));
    assertTrue(text.contains("***stripped***"));
    assertTrue(text.contains("secretProviderClass"), "non-secret attributes stay visible");
    assertTrue(text.contains("\"spc\""));
  }

  @Test
  void stageRequestSecretsAreRemovedToo() {
    String text = LogSanitizer.describe(NodeStageVolumeRequest.newBuilder().setVolumeId("v").putSecrets("k", "hunter2").build());
    assertFalse(text.contains("hunter2"));
  }

  @ParameterizedTest
  @CsvSource({
      "csi.storage.k8s.io/serviceAccount.tokens, true",
      "vaultToken, true",
      "db-password, true",
      "clientSecret, true",
      "secretProviderClass, false",
      "csi.storage.k8s.io/pod.name, false",
  })
  void sensitiveKeys(String key, boolean sensitive) {
    assertEquals(sensitive, LogSanitizer.sensitiveKey(key));
  }
}
