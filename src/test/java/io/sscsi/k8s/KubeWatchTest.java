package io.sscsi.k8s;

import io.sscsi.testkit.MockApiServers;
import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.sscsi.testkit.Await;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a real API server does to watches and CRUD mode never shows, scripted on the mock server:
 * the server ends a watch (its watch timeout), and a re-established watch is answered with an
 * ERROR event 410 Gone (the resourceVersion is too old). The class cache must follow: after a
 * timeout it watches again from the last resourceVersion without listing, after 410 it lists again,
 * and edits seen either way reach its listeners. The client watches over plain HTTP here, so that a
 * response can be scripted per request; fabric8's informer handles both the same way over web
 * sockets.
 */
class KubeWatchTest {
  static final String PATH = "/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses";

  /**
   * Answers lists and watches of SecretProviderClasses by the resourceVersion asked for ("latest"
   * when none), so a request the HTTP client sends twice (it may resend a GET whose connection
   * closed under it) gets the same answer; a watch with no script hangs.
   */
  static final class Scripted extends Dispatcher {
    final Map<String, Supplier<MockResponse>> lists = new HashMap<>();
    final Map<String, Supplier<MockResponse>> watches = new HashMap<>();
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public synchronized MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      if (!path.startsWith(PATH)) {
        return new MockResponse().setResponseCode(404);
      }
      boolean watch = path.contains("watch=true");
      String rv = path.contains("resourceVersion=") ? path.replaceAll(".*[?&]resourceVersion=([^&]*).*", "$1") : "latest";
      seen.add((watch ? "watch from " : "list at ") + rv);
      Supplier<MockResponse> next = (watch ? watches : lists).get(rv);
      return next != null ? next.get()
          : new MockResponse().setResponseCode(200).setBodyDelay(1, TimeUnit.HOURS).setBody("");
    }

    /** The requests seen, a request repeated right after itself counted once. */
    List<String> distinctSeen() {
      List<String> out = new java.util.ArrayList<>();
      for (String r : seen) {
        if (out.isEmpty() || !out.get(out.size() - 1).equals(r)) {
          out.add(r);
        }
      }
      return out;
    }
  }

  static String spc(String name, String rv, String objects) {
    return "{\"apiVersion\":\"secrets-store.csi.x-k8s.io/v1\",\"kind\":\"SecretProviderClass\",\"metadata\":{"
        + "\"name\":\"" + name + "\",\"namespace\":\"app\",\"resourceVersion\":\"" + rv + "\"},"
        + "\"spec\":{\"provider\":\"vault\",\"parameters\":{\"objects\":\"" + objects + "\"}}}";
  }

  static MockResponse list(String rv, String... items) {
    return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
        .setBody("{\"apiVersion\":\"secrets-store.csi.x-k8s.io/v1\",\"kind\":\"SecretProviderClassList\","
            + "\"metadata\":{\"resourceVersion\":\"" + rv + "\"},\"items\":[" + String.join(",", items) + "]}");
  }

  /** A watch the server answers with these events and then ends, as at its watch timeout. */
  static MockResponse watchEnding(String... events) {
    return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
        .setBody(String.join("\n", events) + "\n");
  }

  static String event(String type, String object) {
    return "{\"type\":\"" + type + "\",\"object\":" + object + "}";
  }

  static final String GONE = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
      + "\"message\":\"too old resource version: 6 (8)\",\"reason\":\"Expired\",\"code\":410}";

  KubernetesMockServer server;
  KubernetesClient client;
  KubeClassCache cache;

  @AfterEach
  void close() {
    if (cache != null) {
      cache.close();
    }
    if (client != null) {
      client.close();
    }
    if (server != null) {
      MockApiServers.destroy(server);
    }
  }

  static void await(BooleanSupplier condition, String what) {
    Await.until(what, condition::getAsBoolean);
  }

  @Test
  void aWatchTimeoutIsWatchedAgainWithoutAListAndGoneListsAgain() throws Exception {
    Scripted script = new Scripted();
    script.lists.put("0", () -> list("5", spc("db", "5", "one")));
    script.watches.put("5", () -> watchEnding(event("MODIFIED", spc("db", "6", "two"))));
    script.watches.put("6", () -> watchEnding(event("ERROR", GONE)));
    script.lists.put("latest", () -> list("9", spc("db", "9", "three")));
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), script, false);
    server.start();
    client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(server.url("/"))
        .withOnlyHttpWatches(true).withWatchReconnectInterval(20).withRequestRetryBackoffLimit(0).build()).build();
    List<String> changed = new CopyOnWriteArrayList<>();
    cache = new KubeClassCache(KubeTestConnections.of(client));
    cache.start();
    cache.subscribe((ns, name) -> changed.add(ns + "/" + name + " " + cache.get(ns, name).parameters().get("objects")));

    await(() -> script.distinctSeen().size() >= 5, "list, watch, watch again, list again, watch");
    // The first list may be served from the API server's cache (resourceVersion=0); after 410 the
    // list asks for the latest state.
    assertEquals(List.of("list at 0", "watch from 5", "watch from 6", "list at latest", "watch from 9"),
        script.distinctSeen().subList(0, 5),
        "the ended watch is resumed from the last resourceVersion seen; only 410 Gone lists again");
    await(() -> changed.contains("app/db three"), "both edits reached the listeners");
    assertEquals(List.of("app/db two", "app/db three"), changed.stream().distinct().toList());
    assertEquals(List.of("app/db two", "app/db three"), changed);
    assertEquals("three", cache.get("app", "db").parameters().get("objects"), "served from the re-listed store");
  }

  /** CRUD, except that the paths refused answer 403 Forbidden, as the API server does without RBAC. */
  static final class Refusing extends Dispatcher {
    final Dispatcher crud = new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher();
    final java.util.Set<String> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if (refused.stream().anyMatch(request.getPath()::startsWith)) {
        refusals.incrementAndGet();
        return new MockResponse().setResponseCode(403).setHeader("Content-Type", "application/json")
            .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Forbidden\","
                + "\"code\":403,\"message\":\"forbidden\"}");
      }
      return crud.dispatch(request);
    }
  }

  @Test
  void aWatchRefusedByRbacTheDriverMayLackIsNoReadinessProblemButARequiredOneIs() throws Exception {
    Refusing rbac = new Refusing();
    rbac.refused.add("/api/v1/secrets");
    rbac.refused.add(PATH);
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), rbac, false);
    server.start();
    client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(server.url("/"))
        .withWatchReconnectInterval(20).withRequestRetryBackoffLimit(0).build()).build();
    KubeConnection connection = KubeTestConnections.of(client);
    cache = new KubeClassCache(connection);
    cache.start();
    try (KubeNodePublishSecrets used = new KubeNodePublishSecrets(connection, "secrets-store.csi.k8s.io")) {
      used.start();
      KubeReachability reachability = new KubeReachability(cache, used);
      await(() -> reachability.problem().filter(p -> p.contains("HTTP 403")).isPresent(),
          "the refused class watch is named");
      assertTrue(reachability.problem().get().startsWith("watch of SecretProviderClasses not running"),
          reachability.problem().get());

      rbac.refused.remove(PATH); // the ClusterRole is fixed
      await(() -> reachability.problem().isEmpty(), "ready once the required watch runs");
      assertEquals(Optional.empty(), used.watchProblem(), "list/watch on Secrets is optional RBAC");
    }
  }

  @Test
  void anOptionalWatchRefusedByRbacIsTriedAFewTimesThenLeftOffSoItCostsNoFurtherRequests() throws Exception {
    Refusing rbac = new Refusing();
    rbac.refused.add("/api/v1/secrets");
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), rbac, false);
    server.start();
    client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(server.url("/"))
        .withWatchReconnectInterval(20).withRequestRetryBackoffLimit(0).build()).build();
    try (KubeWatch<io.fabric8.kubernetes.api.model.Secret> watch = new KubeWatch<>("Secrets",
        client.secrets().inAnyNamespace().withLabel("secrets-store.csi.k8s.io/used", "true").runnableInformer(0),
        false)) {
      watch.start();
      await(watch::stopped, "the refused optional watch gave up");
      assertEquals(KubeWatch.MAX_REFUSED, rbac.refusals.get(), "one list per attempt, none after giving up");
      assertEquals(Optional.empty(), watch.problem(), "not a readiness problem");
    }
  }

  @Test
  void theSeenVersionFollowsTheWatchesEventsAndIsEmptyOnceItStops() throws Exception {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(), false);
    server.start();
    client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(server.url("/"))
        .withRequestRetryBackoffLimit(0).build()).build();
    KubeWatch<io.fabric8.kubernetes.api.model.Secret> watch = new KubeWatch<>("Secrets",
        client.secrets().inNamespace("app").runnableInformer(0), true);
    try (watch) {
      watch.start();
      await(() -> watch.seenVersion().isPresent(), "the running watch has a version");
      String before = watch.seenVersion().get();
      client.secrets().inNamespace("app").resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
          .withNewMetadata().withName("db").endMetadata().build()).create();
      await(() -> watch.store().getByKey("app/db") != null, "the event arrived");
      // fabric8 stores the object before it records the event's version: wait for the version itself
      await(() -> !before.equals(watch.seenVersion().orElse(before)), "an event moves the version WatchLiveness samples");
    }
    assertEquals(Optional.empty(), watch.seenVersion(), "a stopped watch has none: only running ones can be stale");
  }
}
