package io.sscsi.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A {@code helm rollback} from sscsi's chart to upstream's (or the upgrade the other way) merges one
 * DaemonSet's pod template over the other's field by field: server-side apply keeps the fields the
 * API server defaulted inside a struct the new manifest lacks (a probe's {@code periodSeconds}, an
 * {@code httpGet}'s {@code scheme}), and a client-side three-way merge that stops half way leaves a
 * mix of both. Either way the pod must stay valid, so the containers, probes and ports of sscsi's
 * DaemonSet (the chart rendered by real helm, and deploy/secrets-store-csi-driver.yaml) must have
 * upstream's shape: the same containers, the same probe handler types, the same port names and
 * numbers. Upstream's shape below is written out by hand from its v1.6.0 chart template
 * ({@code charts/secrets-store-csi-driver/templates/secrets-store-csi-driver.yaml}) and static
 * manifest, which render the same probes and ports. No API server here: the merges are modelled on
 * the pod spec, and each result is checked as the API server validates probes and ports (exactly
 * one handler; a probe's port a number in 1..65535 or the name of a port of the container).
 */
class UpstreamRollbackShapeTest {

  @TempDir
  static Path tmp;

  static final Set<String> HANDLERS = Set.of("exec", "httpGet", "tcpSocket", "grpc");
  static final List<String> PROBES = List.of("livenessProbe", "readinessProbe", "startupProbe");

  /** Upstream's containers' probes and ports for a kubelet root, healthz port and metrics port. */
  static ArrayNode upstream(String kubeletRoot, int healthz, int metrics) {
    String socket = kubeletRoot + "/plugins/csi-secrets-store/csi.sock";
    return (ArrayNode) Manifests.YAML.readTree("""
        - name: node-driver-registrar
          livenessProbe:
            exec:
              command: [/csi-node-driver-registrar, --kubelet-registration-path=%s, --mode=kubelet-registration-probe]
            initialDelaySeconds: 30
            timeoutSeconds: 15
        - name: secrets-store
          ports:
            - {containerPort: %d, name: healthz, protocol: TCP}
            - {containerPort: %d, name: metrics, protocol: TCP}
          livenessProbe:
            httpGet: {path: /healthz, port: healthz}
            failureThreshold: 5
            initialDelaySeconds: 30
            timeoutSeconds: 10
            periodSeconds: 15
        - name: liveness-probe
        """.formatted(socket, healthz, metrics));
  }

  /** The DaemonSet's containers as our chart renders them with {@code valuesYaml}. */
  static ArrayNode ours(String valuesYaml) throws Exception {
    Helm.Result r = Helm.templateRaw(tmp, "csi-secrets-store", valuesYaml, "1.34.0", Map.of());
    assertEquals(0, r.exit(), r.stderr());
    return containers(Manifests.documents(r.stdout()));
  }

  static ArrayNode containers(List<JsonNode> docs) {
    for (JsonNode d : docs) {
      if (d != null && "DaemonSet".equals(d.path("kind").asString(""))) {
        return (ArrayNode) d.path("spec").path("template").path("spec").path("containers");
      }
    }
    throw new AssertionError("no DaemonSet rendered");
  }

  // ---- the shape: containers by name, probe handler types, ports --------------------------------

  /** Per container: each probe's handler type (and the port it names), and its ports. */
  static Map<String, Map<String, String>> shape(ArrayNode containers) {
    Map<String, Map<String, String>> out = new TreeMap<>();
    for (JsonNode c : containers) {
      Map<String, String> s = new TreeMap<>();
      for (String probe : PROBES) {
        JsonNode p = c.path(probe);
        if (!p.isMissingNode() && !p.isNull()) {
          List<String> handlers = handlers(p);
          String port = handlers.size() == 1 ? p.path(handlers.get(0)).path("port").asString("") : "";
          s.put(probe, String.join("+", handlers) + (port.isEmpty() ? "" : " port " + port));
        }
      }
      for (JsonNode port : c.path("ports")) {
        s.put("port " + port.path("name").asString("(unnamed)"),
            port.path("containerPort").asInt() + "/" + port.path("protocol").asString("TCP"));
      }
      out.put(c.path("name").asString(), s);
    }
    return out;
  }

  static List<String> handlers(JsonNode probe) {
    List<String> out = new ArrayList<>();
    probe.propertyNames().forEach(n -> {
      if (HANDLERS.contains(n)) {
        out.add(n);
      }
    });
    return out;
  }

  // ---- the merges ---------------------------------------------------------------------------------

  /** A client-side merge stopped half way: every field of either, {@code top}'s value where both set one. */
  static ArrayNode mixed(ArrayNode bottom, ArrayNode top) {
    return mergeByKey(bottom, top, "name", UpstreamRollbackShapeTest::deepMerge);
  }

  /**
   * Server-side apply of {@code applied} over {@code live}, whose fields the same manager owned: what
   * {@code applied} lacks is removed, except the fields the API server defaulted, which no manager
   * owns (a probe's timings and threshold, an httpGet's scheme).
   */
  static ArrayNode serverSideApply(ArrayNode live, ArrayNode applied) {
    return mergeByKey(applied, live, "name", (appliedC, liveC) -> {
      ObjectNode out = appliedC.deepCopy();
      for (String probe : PROBES) {
        JsonNode was = liveC.path(probe);
        if (was.isMissingNode()) {
          continue;
        }
        ObjectNode now = out.has(probe) ? (ObjectNode) out.get(probe) : out.putObject(probe);
        for (String d : List.of("timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold")) {
          if (!now.has(d)) {
            now.put(d, Map.of("timeoutSeconds", 1, "periodSeconds", 10, "successThreshold", 1, "failureThreshold", 3)
                .get(d));
          }
        }
        if (was.has("httpGet")) {
          ObjectNode get = now.has("httpGet") ? (ObjectNode) now.get("httpGet") : now.putObject("httpGet");
          if (!get.has("scheme")) {
            get.put("scheme", "HTTP");
          }
        }
      }
      return out;
    });
  }

  interface Merge {
    ObjectNode apply(ObjectNode bottom, ObjectNode top);
  }

  /** Containers merged by name; a container only one side has is kept as it is. */
  static ArrayNode mergeByKey(ArrayNode bottom, ArrayNode top, String key, Merge merge) {
    Map<String, ObjectNode> byName = new LinkedHashMap<>();
    bottom.forEach(c -> byName.put(c.path(key).asString(), ((ObjectNode) c).deepCopy()));
    top.forEach(c -> byName.merge(c.path(key).asString(), ((ObjectNode) c).deepCopy(), merge::apply));
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    byName.values().forEach(out::add);
    return out;
  }

  /** Objects merged field by field; ports merged by containerPort and protocol; other values: top's. */
  static ObjectNode deepMerge(ObjectNode bottom, ObjectNode top) {
    ObjectNode out = bottom.deepCopy();
    for (Iterator<Map.Entry<String, JsonNode>> it = top.properties().iterator(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode was = out.get(e.getKey());
      if (was instanceof ObjectNode o && e.getValue() instanceof ObjectNode t) {
        out.set(e.getKey(), deepMerge(o, t));
      } else if ("ports".equals(e.getKey()) && was instanceof ArrayNode a && e.getValue() instanceof ArrayNode t) {
        Map<String, JsonNode> ports = new LinkedHashMap<>();
        a.forEach(p -> ports.put(p.path("containerPort").asInt() + "/" + p.path("protocol").asString("TCP"), p));
        t.forEach(p -> ports.merge(p.path("containerPort").asInt() + "/" + p.path("protocol").asString("TCP"), p,
            (x, y) -> deepMerge((ObjectNode) x, (ObjectNode) y)));
        ArrayNode merged = JsonNodeFactory.instance.arrayNode();
        ports.values().forEach(merged::add);
        out.set(e.getKey(), merged);
      } else {
        out.set(e.getKey(), e.getValue().deepCopy());
      }
    }
    return out;
  }

  // ---- validity, as the API server checks probes and ports ----------------------------------------

  static List<String> problems(ArrayNode containers) {
    List<String> out = new ArrayList<>();
    for (JsonNode c : containers) {
      String name = c.path("name").asString();
      Set<String> portNames = new java.util.HashSet<>();
      for (JsonNode port : c.path("ports")) {
        int n = port.path("containerPort").asInt(0);
        if (n < 1 || n > 65535) {
          out.add(name + ": containerPort " + port.path("containerPort"));
        }
        if (port.has("name") && !portNames.add(port.get("name").asString())) {
          out.add(name + ": port name " + port.get("name") + " twice");
        }
      }
      for (String probe : PROBES) {
        JsonNode p = c.path(probe);
        if (p.isMissingNode()) {
          continue;
        }
        List<String> handlers = handlers(p);
        if (handlers.size() != 1) {
          out.add(name + "." + probe + ": " + handlers.size() + " handler types " + handlers);
          continue;
        }
        JsonNode port = p.path(handlers.get(0)).path("port");
        if (handlers.get(0).equals("httpGet") || handlers.get(0).equals("tcpSocket")) {
          boolean ok = port.isInt() ? port.asInt() >= 1 && port.asInt() <= 65535
              : port.isString() && portNames.contains(port.asString());
          if (!ok) {
            out.add(name + "." + probe + "." + handlers.get(0) + ".port: " + (port.isMissingNode() ? "0" : port));
          }
        }
      }
    }
    return out;
  }

  static void assertMergesValid(ArrayNode ours, ArrayNode upstream, String what) {
    Map<String, ArrayNode> results = new LinkedHashMap<>();
    results.put("rollback, server-side apply of upstream's over " + what, serverSideApply(ours, upstream));
    results.put("upgrade, server-side apply of " + what + " over upstream's", serverSideApply(upstream, ours));
    results.put("rollback, client-side merge left half way", mixed(ours, upstream));
    results.put("upgrade, client-side merge left half way", mixed(upstream, ours));
    results.forEach((merge, pod) -> assertEquals(List.of(), problems(pod), merge + ": " + pod));
  }

  @Test
  void theChartsContainersProbesAndPortsHaveUpstreamsShapeAndEitherMergeIsAValidPod() throws Exception {
    Helm.require();
    ArrayNode ours = ours("{}");
    ArrayNode upstream = upstream("/var/lib/kubelet", 9808, 8095);
    assertEquals(shape(upstream), shape(ours));
    assertMergesValid(ours, upstream, "the chart's defaults");
  }

  @Test
  void withAnotherKubeletRootAndPortsTooAsUpstreamRendersThem() throws Exception {
    Helm.require();
    ArrayNode ours = ours("""
        linux:
          kubeletRootDir: /var/lib/k0s/kubelet
          metricsAddr: ":8099"
        livenessProbe:
          port: 9810
        """);
    ArrayNode upstream = upstream("/var/lib/k0s/kubelet", 9810, 8099);
    assertEquals(shape(upstream), shape(ours));
    assertMergesValid(ours, upstream, "the chart with other ports");
  }

  @Test
  void theStaticManifestHasUpstreamsShape() {
    ArrayNode ours = containers(Manifests.documents(Manifests.read(Path.of("deploy/secrets-store-csi-driver.yaml"))));
    ArrayNode upstream = upstream("/var/lib/kubelet", 9808, 8095);
    assertEquals(shape(upstream), shape(ours));
    assertMergesValid(ours, upstream, "the static manifest");
  }

  @Test
  void theOptInReadinessProbeIsWhatBreaksARollbackUnderServerSideApply() throws Exception {
    Helm.require();
    ArrayNode ready = ours("hardening: {readinessProbe: true}");
    ArrayNode upstream = upstream("/var/lib/kubelet", 9808, 8095);
    List<String> problems = problems(serverSideApply(ready, upstream));
    assertEquals(List.of("secrets-store.readinessProbe.httpGet.port: 0"), problems,
        "the model reproduces the failure of issue 19 (readinessProbe.httpGet.port: Invalid value: 0)");
    assertTrue(problems(serverSideApply(upstream, ready)).isEmpty(), "the upgrade direction stays valid");
  }

  @Test
  void metricsOffRendersNoPortZero() throws Exception {
    Helm.require();
    ArrayNode ours = ours("linux: {metricsAddr: \"\"}");
    assertEquals(List.of(), problems(ours));
    assertFalse(shape(ours).get("secrets-store").containsKey("port metrics"));
  }
}
