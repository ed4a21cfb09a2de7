package io.sscsi.admin;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds a route on a TCP address and unbinds it in CoordinatedShutdown's service-unbind phase. */
public final class HttpServers {
  private HttpServers() {}

  /** @return the bound address (the real port when 0 was asked for) */
  public static CompletionStage<InetSocketAddress> bind(ActorSystem<?> system, String name, HostPort at, Route route) {
    return Http.get(system).newServerAt(at.host(), at.port()).bind(route).thenApply(binding -> {
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "unbind-" + name,
          () -> binding.unbind().thenApply(done -> org.apache.pekko.Done.getInstance()));
      return binding.localAddress();
    }).exceptionally(e -> {
      throw new IllegalStateException("cannot listen for " + name + " on " + at.host() + ":" + at.port()
          + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
    });
  }
}
