package io.sscsi.k8s;

import io.fabric8.mockwebserver.DefaultMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The requests one client (told apart by its User-Agent) made to fabric8's mock API server, drained
 * from the server's recording phase by phase, and counted the way the API economy targets are
 * stated: reads, writes, list/watch, per resource.
 */
final class ApiRequests {

  /** One request: method, resource (plural), whether it named one object, whether it watches. */
  record Request(String method, String resource, boolean named, boolean watch) {
    static Request of(String method, String pathAndQuery) {
      int q = pathAndQuery.indexOf('?');
      String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
      String query = q < 0 ? "" : pathAndQuery.substring(q + 1);
      String[] parts = path.replaceAll("^/+", "").split("/");
      // api/v1[/namespaces/ns]/res[/name] or apis/group/version[/namespaces/ns]/res[/name]
      int at = parts[0].equals("api") ? 2 : parts[0].equals("apis") ? 3 : 0;
      if (at == 0 || parts.length <= at) {
        return new Request(method, path, true, false); // e.g. GET /version
      }
      if (parts[at].equals("namespaces") && parts.length > at + 2) {
        at += 2;
      }
      boolean named = parts.length > at + 1;
      return new Request(method, parts[at], named, query.contains("watch=true"));
    }

    /** A GET that is not a watch: an object or a list read. */
    boolean read() {
      return method.equals("GET") && !watch;
    }

    /** POST, PUT, PATCH or DELETE. */
    boolean write() {
      return !method.equals("GET");
    }

    String label() {
      if (watch) {
        return "watch " + resource;
      }
      if (method.equals("GET")) {
        return (named ? "GET " : "list ") + resource;
      }
      return method + " " + resource;
    }
  }

  private final DefaultMockServer server;
  private final String userAgent;

  ApiRequests(DefaultMockServer server, String userAgent) {
    this.server = server;
    this.userAgent = userAgent;
  }

  /** Takes every request recorded so far and returns those of this client, in arrival order. */
  List<Request> drain() throws InterruptedException {
    List<Request> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
      String ua = r.getHeader("User-Agent");
      if (ua != null && ua.startsWith(userAgent)) {
        out.add(Request.of(r.getMethod(), r.getPath()));
      }
    }
    return out;
  }

  static long count(List<Request> requests, Predicate<Request> which) {
    return requests.stream().filter(which).count();
  }

  /** e.g. {@code POST secretproviderclasspodstatuses 50, PATCH secrets 49, POST secrets 1}. */
  static String breakdown(List<Request> requests) {
    Map<String, Integer> byLabel = new TreeMap<>();
    requests.forEach(r -> byLabel.merge(r.label(), 1, Integer::sum));
    StringBuilder out = new StringBuilder();
    byLabel.forEach((label, n) -> out.append(out.length() == 0 ? "" : ", ").append(n).append(' ').append(label));
    return out.length() == 0 ? "none" : out.toString();
  }
}
