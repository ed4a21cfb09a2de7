package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * All log output of publishes, at the most verbose level (root TRACE, with the production logger
 * pins), holds no secret value, no node-publish secret and no service-account token.
 */
@EnableKubernetesMockClient(crud = true)
@Integration
class NoSecretsInLogsTest {
  static final String FILE_CONTENT = "FILE-CONTENT-7f3a9c";
  static final String PUBLISH_SECRET = "NODE-PUBLISH-SECRET-51be";
  static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.SA-TOKEN-c0ffee.sig";
  static final String TOKEN_IN_SECRETS = "eyJhbGciOiJSUzI1NiJ9.SECRETS-TOKEN-beef.sig";
  static final List<String> SECRETS = List.of(FILE_CONTENT, PUBLISH_SECRET, "SA-TOKEN-c0ffee", "SECRETS-TOKEN-beef");

  static KubernetesClient client;
  static DriverHarness driver;
  static TestProvider provider;

  @BeforeAll
  static void start() throws Exception {
    driver = DriverHarness.start(client);
    provider = driver.provider("tokens");
    new Cluster(client).secretProviderClass("ns", "spc", "tokens", Map.of("objects", "x"));
  }

  @AfterAll
  static void stop() throws Exception {
    provider.close();
    driver.close();
  }

  @Test
  void publishSuccessFailureAndUnpublishLogNoSecret() throws Exception {
    Path target = driver.target("uid-log", "v");
    String tokens = "{\"vault\":{\"token\":\"" + TOKEN + "\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}";
    String tokensInSecrets = "{\"vault\":{\"token\":\"" + TOKEN_IN_SECRETS + "\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}";
    var request = Requests.publish(target, "ns", "pod", "uid-log", "spc")
        .putVolumeContext("csi.storage.k8s.io/serviceAccount.tokens", tokens)
        .putSecrets("password", PUBLISH_SECRET)
        .putSecrets("csi.storage.k8s.io/serviceAccount.tokens", tokensInSecrets)
        .build();

    try (LogCapture logs = LogCapture.open(); CsiClient csi = driver.client()) {
      provider.answerNow(TestProvider.files(Map.of("db-password", FILE_CONTENT)));
      assertEquals(Status.Code.OK, csi.publish(request).getCode());
      assertEquals(Status.Code.OK, csi.publish(request).getCode());
      assertEquals(Status.Code.OK, csi.unpublish("v", target).getCode());

      provider.answer(r -> CompletableFuture.failedFuture(Status.UNAUTHENTICATED.asRuntimeException()));
      assertEquals(Status.Code.UNAUTHENTICATED, csi.publish(request).getCode());
      provider.answerNow(TestProvider.file("../escape", 0644, FILE_CONTENT));
      assertEquals(Status.Code.INTERNAL, csi.publish(request).getCode());

      String all = logs.all();
      assertTrue(all.contains("CSI NodePublishVolume ok"), "publishes were logged at DEBUG, so the scan saw them");
      assertTrue(all.contains("CSI NodePublishVolume failed"), "failures were logged");
      assertTrue(all.contains(LogSanitizer.STRIPPED), "the token key is shown stripped");
      for (String secret : SECRETS) {
        assertFalse(all.contains(secret), "log output contains a secret: " + secret);
      }
    }
    // the provider did receive them: the test would be vacuous otherwise
    String attributes = provider.requests.get(0).getAttributes();
    assertTrue(attributes.contains("SECRETS-TOKEN-beef"), "tokens from the secrets field reach the provider");
    assertTrue(provider.requests.get(0).getSecrets().contains(PUBLISH_SECRET));
  }
}
