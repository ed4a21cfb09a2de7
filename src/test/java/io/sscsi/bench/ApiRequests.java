package io.sscsi.bench;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts the requests the driver made to fabric8's mock API server, by verb and path with names
 * and namespaces replaced ({@code GET /apis/secrets-store.csi.x-k8s.io/v1/namespaces/{ns}/secretproviderclasses/{name}}),
 * watches as {@code WATCH}. {@link #drain} takes what the mock recorded since the last drain, so a
 * drain at the start and at the end of a phase gives that phase's requests.
 */
final class ApiRequests {
  private ApiRequests() {}

  /** Everything recorded since the last drain, counted by {@link #key}. */
  static Map<String, Integer> drain(KubernetesMockServer server) throws InterruptedException {
    Map<String, Integer> counts = new TreeMap<>();
    RecordedRequest r;
    while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
      counts.merge(key(r.getMethod(), r.getPath()), 1, Integer::sum);
    }
    return counts;
  }

  /** Everything recorded since the last drain, in the order the mock received it, each as its {@link #key}. */
  static java.util.List<String> inOrder(KubernetesMockServer server) throws InterruptedException {
    java.util.List<String> keys = new java.util.ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
      keys.add(key(r.getMethod(), r.getPath()));
    }
    return keys;
  }

  static int total(Map<String, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The verb (WATCH for {@code watch=true}) and the path with namespace and object names as placeholders. */
  static String key(String method, String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    String query = q < 0 ? "" : pathAndQuery.substring(q + 1);
    String verb = query.matches("(^|.*&)watch=(true|1)(&.*|$)") ? "WATCH" : method;
    String[] s = path.split("/", -1);
    int base = s.length > 1 && s[1].equals("api") ? 3 : s.length > 1 && s[1].equals("apis") ? 4 : -1;
    if (base > 0 && s.length > base) {
      int resource = base;
      if (s[base].equals("namespaces") && s.length > base + 1) {
        s[base + 1] = "{ns}";
        resource = base + 2;
      }
      if (s.length > resource + 1) {
        s[resource + 1] = "{name}";
      }
    }
    return verb + " " + String.join("/", s);
  }
}
