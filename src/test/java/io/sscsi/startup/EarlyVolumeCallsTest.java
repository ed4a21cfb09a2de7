package io.sscsi.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import io.sscsi.testkit.Integration;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.sscsi.DriverProcess;
import io.sscsi.Guardian;
import io.sscsi.config.DriverSettings;
import io.sscsi.csi.CsiMethods;
import io.sscsi.csi.v1.GetPluginInfoRequest;
import io.sscsi.fs.DirectoryMounter;
import io.sscsi.local.LocalMode;
import io.sscsi.testkit.CsiClient;
import io.sscsi.testkit.Requests;
import io.sscsi.testkit.TestProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CSI socket is served before the driver's core: Identity and NodeGetInfo answer while the core
 * is still starting, a publish that arrives then waits for it (and succeeds), and the core starts
 * only when someone needs it.
 */
@Integration
class EarlyVolumeCallsTest {
  @TempDir Path dir;

  @Test
  void identityAnswersBeforeTheCoreAndAnEarlyPublishWaitsForIt() throws Exception {
    Files.createDirectories(dir.resolve("classes"));
    Files.writeString(dir.resolve("classes/app.yaml"), "apiVersion: secrets-store.csi.x-k8s.io/v1\n"
        + "kind: SecretProviderClass\nmetadata: {name: app, namespace: ns}\nspec:\n  provider: keeper\n  parameters: {objects: x}\n");
    Map<String, Object> o = new HashMap<>();
    o.put("sscsi.driver.endpoint", "unix://" + dir.resolve("csi.sock"));
    o.put("sscsi.driver.node-id", "node-1");
    o.put("sscsi.driver.provider-volume", dir.resolve("providers").toString());
    o.put("sscsi.driver.additional-provider-volume-paths", List.of());
    o.put("sscsi.driver.local-classes", dir.resolve("classes").toString());
    o.put("sscsi.driver.local-state", dir.resolve("state").toString());
    o.put("sscsi.driver.tmpfs", false);
    o.put("sscsi.driver.kubelet-dir", "");
    o.put("sscsi.driver.metrics-addr", "");
    o.put("sscsi.driver.admin-addr", "");
    o.put("sscsi.driver.core-start-wait", "1h");
    Config config = ConfigFactory.parseMap(o).withFallback(ConfigFactory.load()).resolve();
    LocalMode local = LocalMode.from(config).orElseThrow();
    CountDownLatch coreMayStart = new CountDownLatch(1);
    CompletableFuture<Void> coreWanted = new CompletableFuture<>();

    java.util.concurrent.ExecutorService kubelet = java.util.concurrent.Executors.newSingleThreadExecutor();
    try (TestProvider provider = TestProvider.start(Files.createDirectories(dir.resolve("providers")), "keeper");
         DriverProcess driver = DriverProcess.serve(DriverSettings.from(config), config, () -> {
           coreWanted.complete(null);
           await(coreMayStart);
           local.announce();
           return new DriverProcess.Core(new Guardian.Edges(local.classes(), local.statuses(), new DirectoryMounter()), () -> {});
         });
         CsiClient csi = new CsiClient(dir.resolve("csi.sock"))) {
      provider.answerNow(TestProvider.files(Map.of("key", "value")));
      assertFalse(coreWanted.isDone(), "nothing asked for the core yet");

      csi.call(CsiMethods.GET_PLUGIN_INFO, GetPluginInfoRequest.getDefaultInstance());
      coreWanted.join(); // the registrar's GetPluginInfo lets the core start
      assertFalse(driver.core().isDone());

      Path target = dir.resolve("pods/uid-1/volumes/kubernetes.io~csi/secrets/mount");
      // kubelet's side on a thread of its own: a blocked common-pool worker would starve the driver's callbacks
      CompletableFuture<Status> publish = CompletableFuture.supplyAsync(
          () -> csi.publish(Requests.publish(target, "ns", "pod", "uid-1", "app").build()), kubelet);
      assertEquals("node-1", csi.call(CsiMethods.NODE_GET_INFO,
          io.sscsi.csi.v1.NodeGetInfoRequest.getDefaultInstance()).getNodeId(), "answered while the core is down");
      assertFalse(publish.isDone(), "a publish waits for the core");

      coreMayStart.countDown();
      Status published = publish.join();
      assertEquals(Status.Code.OK, published.getCode(), published::toString);
      assertEquals("value", Files.readString(target.resolve("key")));
    } finally {
      kubelet.shutdownNow();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
