package io.sscsi.chaos;

import io.sscsi.testkit.MockApiServers;
import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.grpc.Status;
import io.sscsi.testkit.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's left fault: restart recovery that itself fails. A volume of pod web is published, the
 * driver SIGKILLed and started again while the API server answers the list of this node's status
 * objects with 503 (fabric8's mock in CRUD mode behind a dispatcher that refuses that one request).
 * Recovery fails and is tried again with backoff; meanwhile {@code /readyz} says so and volume calls
 * stay held: another pod's publish to web's target is answered DEADLINE_EXCEEDED at its deadline,
 * with web's files untouched. Once the list is served, recovery adopts the volume: the foreign
 * publish is refused (ALREADY_EXISTS) and the owner's republish is OK. On the old code a failed
 * recovery let every call through and adopted nothing.
 */
@Integration
class RecoveryRetryTest {
  private static final String SPCPS_LIST = "/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasspodstatuses";

  @Test
  void aFailedRecoveryIsRetriedWithCallsHeldUntilItAdopts() throws Exception {
    AtomicBoolean refuseList = new AtomicBoolean();
    AtomicInteger refused = new AtomicInteger();
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMixedDispatcher crud = new KubernetesMixedDispatcher(responses);
    Dispatcher refusing = new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        if (refuseList.get() && "GET".equals(request.getMethod()) && request.getPath().startsWith(SPCPS_LIST)) {
          refused.incrementAndGet();
          return new MockResponse().setResponseCode(503).setBody(
              "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":503,\"reason\":\"ServiceUnavailable\"}");
        }
        return crud.dispatch(request);
      }
    };
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, refusing, false);
    server.init();
    try (KubernetesClient client = server.createClient();
        DriverNode node = DriverNode.cluster("sscsi-recovery-retry-", client.getMasterUrl().toString());
        TestProvider provider = TestProvider.start(node.providers, "keeper")) {
      Path root = node.root;
      Cluster cluster = new Cluster(client);
      cluster.secretProviderClass("ns", "spc", "keeper", Map.of("objects", "x"));
      cluster.secretProviderClass("ns", "other", "keeper", Map.of("objects", "y"));
      String uid = cluster.pod("ns", "web", "u-web");
      String intruderUid = cluster.pod("ns", "intruder", "u-intruder");
      Path target = DriverSigkillTest.target(root, uid);
      var owner = Requests.publish(target, "ns", "web", uid, "spc").build();
      var foreign = Requests.publish(target, "ns", "intruder", intruderUid, "other").build();

      provider.answerNow(TestProvider.files(Map.of("key", "mine")));
      DriverChild driver = node.start("driver-1.log");
      try (CsiClient csi = new CsiClient(driver.socket)) {
        assertEquals(Status.Code.OK, csi.publish(owner).getCode());
      }
      int calls = provider.requests.size();
      driver.kill();

      refuseList.set(true);
      provider.answerNow(TestProvider.files(Map.of("key", "theirs")));
      driver = node.start("driver-2.log");
      DriverChild restarted = driver;
      String failing = driver.awaitAdmin("/readyz", body -> body.contains("restart-recovery: restart recovery failed"),
          Duration.ofSeconds(60));
      assertTrue(failing.contains("volume calls are held"), failing);
      try (CsiClient csi = new CsiClient(driver.socket)) {
        Status held = csi.publish(foreign, Duration.ofSeconds(5));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, held.getCode(), "decided while recovery was failing: " + held);
        assertEquals("mine", Files.readString(target.resolve("key")), "the owner's files are untouched");
        assertEquals(calls, provider.requests.size(), "the held publish never reached the provider");
        int attempts = refused.get();
        Await.until("recovery tried again", () -> refused.get() > attempts);

        refuseList.set(false);
        String adopted = driver.awaitAdmin("/volumes", body -> body.contains(target.toString()), Duration.ofSeconds(90));
        assertTrue(adopted.contains("\"state\" : \"adopted\""), adopted);
        Await.until("/readyz no longer reports recovery",
            () -> restarted.get(restarted.adminPort, "/readyz").contains("restart-recovery: ok"));

        assertEquals(Status.Code.ALREADY_EXISTS, csi.publish(foreign).getCode(), "another pod's publish, after recovery");
        assertEquals(calls, provider.requests.size(), "no provider call for another pod's volume");
        assertEquals("mine", Files.readString(target.resolve("key")));
        assertEquals(Status.Code.OK, csi.publish(owner).getCode(), "the owner's republish");
        assertEquals("mine", Files.readString(target.resolve("key")));
        assertEquals(Status.Code.OK, csi.unpublish("secrets", target).getCode());
      }
      assertFalse(Files.exists(target));
    } finally {
      MockApiServers.destroy(server);
    }
  }
}
