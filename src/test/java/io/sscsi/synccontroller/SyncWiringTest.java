package io.sscsi.synccontroller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.sscsi.local.LocalProviderClassSource;
import io.sscsi.metrics.DriverMetrics;
import io.sscsi.provider.ProviderSettings;
import io.sscsi.testkit.Await;
import io.sscsi.testkit.TestProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process's own wiring ({@link SyncControllerProcess#group}, the shipped dispatcher config) with
 * more SecretSyncs than sync slots, all due at once, as at a controller start: every one is written
 * well within the provider call timeout. With the runs on the blocking dispatcher, the 16 runs that
 * blocked on their provider's answer took every thread its answer's check needed, and all of them
 * waited for the 2 minute call timeout.
 */
class SyncWiringTest {
  static final int OBJECTS = 24;
  @TempDir Path dir;
  ActorTestKit kit;
  TestProvider provider;

  @AfterEach
  void stop() {
    if (provider != null) {
      provider.close();
    }
    if (kit != null) {
      kit.shutdownTestKit();
    }
  }

  @Test
  void moreSecretSyncsThanSyncSlotsAllSyncWithoutWaitingForTheCallTimeout() throws Exception {
    kit = ActorTestKit.create(ConfigFactory.load());
    DriverMetrics.init(kit.system().settings().config());
    Path sockets = Files.createDirectories(dir.resolve("providers"));
    provider = TestProvider.start(sockets, "vault");
    provider.answerNow(TestProvider.files(Map.of("password", "v1")));
    Path manifests = Files.createDirectories(dir.resolve("manifests"));
    StringBuilder yaml = new StringBuilder("""
        apiVersion: secrets-store.csi.x-k8s.io/v1
        kind: SecretProviderClass
        metadata: {name: spc}
        spec: {provider: vault, parameters: {objects: password}}
        """);
    for (int i = 0; i < OBJECTS; i++) {
      yaml.append("---\n").append(LocalSyncPortsTest.SYNC.formatted("sync-" + i, "spc")
          .replace("sourcePath: a", "sourcePath: password"));
    }
    Files.writeString(manifests.resolve("all.yaml"), yaml);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    LocalSyncApi api = new LocalSyncApi(new LocalProviderClassSource(manifests), Optional.empty(),
        new PrintStream(printed, true, StandardCharsets.UTF_8));
    ProviderSettings providers = new ProviderSettings(List.of(sockets), SyncControllerProcess.MAX_CONCURRENT_SYNCS,
        256, Duration.ofMinutes(2), 4 << 20);
    ActorRef<SecretSyncGroup.Command> group = kit.spawn(SyncControllerProcess.group(api,
        new TokenCache(List.of(), api, Clock.systemUTC()), providers, "", "", Duration.ZERO));

    assertEquals(OBJECTS, new LocalSyncFeed(manifests, api, group).scan().size());

    Await.until(OBJECTS + " Secrets written", () -> java.util.stream.IntStream.range(0, OBJECTS)
        .allMatch(i -> api.secret("default", "sync-" + i).isPresent()));
    assertEquals(OBJECTS, provider.requests.size(), "one provider call per SecretSync");
  }
}
