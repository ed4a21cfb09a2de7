package io.sscsi.admin;

import io.sscsi.metrics.DriverMetrics;
import io.sscsi.sync.SecretSyncActor;
import io.sscsi.volume.VolumeActor;
import io.sscsi.volume.VolumeRouter;
import io.sscsi.volume.VolumeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP routes: the admin endpoint ({@code /healthz}, {@code /readyz}, {@code /volumes},
 * {@code /volumes/{podUid}/{volumeName}}) answered straight from the volume actors, {@code /secrets}
 * (the state of Secret sync, from its actor), and the Prometheus scrape ({@code /metrics}). No
 * route ever shows a secret value.
 */
public final class AdminRoutes extends AllDirectives {
  private static final Duration ASK = Duration.ofSeconds(2);
  /** Jackson 3 writes java.time values as ISO-8601 strings by default. */
  static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private final ActorRef<VolumeRouter.Command> router;
  private final Scheduler scheduler;
  private final Readiness readiness;
  private final java.util.concurrent.Executor blocking;
  private final Optional<ActorRef<SecretSyncActor.Command>> secretSync;

  /**
   * @param blocking where readiness checks run (they may stat files), never the route's own thread
   * @param secretSync the Secret sync actor; empty when sync is off
   */
  public AdminRoutes(ActorRef<VolumeRouter.Command> router, Scheduler scheduler, Readiness readiness,
      java.util.concurrent.Executor blocking, Optional<ActorRef<SecretSyncActor.Command>> secretSync) {
    this.router = router;
    this.secretSync = secretSync;
    this.scheduler = scheduler;
    this.readiness = readiness;
    this.blocking = blocking;
  }

  public Route admin() {
    return concat(
        path("healthz", () -> get(() -> complete("ok\n"))),
        path("readyz", () -> get(() -> onSuccess(CompletableFuture.supplyAsync(readiness::check, blocking),
            report -> complete(report.ready() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, report.text())))),
        pathPrefix("volumes", () -> concat(
            pathEndOrSingleSlash(() -> get(() -> onSuccess(volumes(), this::json))),
            path(PathMatchers.segment().slash(PathMatchers.segment()), (podUid, volume) -> get(() -> onSuccess(volumes(), all -> all.stream()
                .filter(v -> v.podUid().equals(podUid) && v.volumeName().equals(volume))
                .findFirst()
                .map(this::json)
                .orElseGet(() -> complete(StatusCodes.NOT_FOUND,
                    "no volume " + volume + " of pod " + podUid + " on this node\n"))))))),
        path("secrets", () -> get(() -> onSuccess(secrets(), this::json))));
  }

  public Route metrics() {
    return path("metrics", () -> get(() ->
        complete(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, DriverMetrics.scrape()))));
  }

  /** Every volume's view, in target-path order; an actor that does not answer in time is left out. */
  CompletionStage<List<VolumeView>> volumes() {
    return AskPattern.<VolumeRouter.Command, List<ActorRef<VolumeActor.Command>>>ask(
            router, VolumeRouter.ListVolumes::new, ASK, scheduler)
        .thenCompose(refs -> {
          List<CompletableFuture<VolumeView>> views = new ArrayList<>();
          for (ActorRef<VolumeActor.Command> ref : refs) {
            views.add(AskPattern.<VolumeActor.Command, VolumeView>ask(ref, VolumeActor.Describe::new, ASK, scheduler)
                .toCompletableFuture().exceptionally(e -> null));
          }
          return CompletableFuture.allOf(views.toArray(CompletableFuture[]::new)).thenApply(done -> views.stream()
              .map(CompletableFuture::join).filter(v -> v != null && !v.state().equals("idle"))
              .sorted(Comparator.comparing(VolumeView::targetPath)).toList());
        });
  }

  /** What {@code /secrets} shows: whether sync is on, and each synced Secret's state by {@code namespace/name}. */
  public record SecretsView(boolean syncEnabled, Map<String, SecretSyncActor.SecretStatus> secrets) {}

  CompletionStage<SecretsView> secrets() {
    return secretSync
        .map(actor -> AskPattern.<SecretSyncActor.Command, Map<String, SecretSyncActor.SecretStatus>>ask(
                actor, SecretSyncActor.GetStatus::new, ASK, scheduler)
            .thenApply(all -> new SecretsView(true, new java.util.TreeMap<>(all))))
        .orElseGet(() -> CompletableFuture.completedFuture(new SecretsView(false, Map.of())));
  }

  private Route json(Object value) {
    return complete(HttpEntities.create(ContentTypes.APPLICATION_JSON, JSON.writeValueAsString(value)));
  }
}
