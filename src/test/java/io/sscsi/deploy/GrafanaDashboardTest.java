package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.DEPLOY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** deploy/grafana/sscsi-dashboard.json: valid JSON, a panel for each driver metric, sound queries. */
class GrafanaDashboardTest {

  static final JsonNode DASHBOARD = JsonMapper.builder().build()
      .readTree(Manifests.read(DEPLOY.resolve("grafana/sscsi-dashboard.json")));

  static List<JsonNode> panels() {
    List<JsonNode> out = new ArrayList<>();
    DASHBOARD.path("panels").forEach(out::add);
    return out;
  }

  static List<String> exprs() {
    List<String> out = new ArrayList<>();
    for (JsonNode p : panels()) {
      p.path("targets").forEach(t -> out.add(t.path("expr").asString()));
    }
    return out;
  }

  @Test
  void dashboardShape() {
    assertEquals("sscsi-driver", DASHBOARD.path("uid").asString());
    assertFalse(DASHBOARD.path("title").asString("").isEmpty());
    assertTrue(DASHBOARD.path("schemaVersion").asInt() >= 36);
    Set<Integer> ids = new HashSet<>();
    for (JsonNode p : panels()) {
      String title = p.path("title").asString();
      assertTrue(ids.add(p.path("id").asInt()), "duplicate panel id " + p.path("id"));
      JsonNode grid = p.path("gridPos");
      assertTrue(grid.path("w").asInt() > 0 && grid.path("x").asInt() + grid.path("w").asInt() <= 24, title);
      if (p.path("type").asString().equals("row")) {
        continue;
      }
      assertEquals("${datasource}", p.path("datasource").path("uid").asString(), title + ": fixed data source");
      assertTrue(p.path("targets").size() > 0, title + ": no query");
      assertFalse(p.path("description").asString("").isEmpty(), title + ": no description");
    }
    Set<String> variables = new HashSet<>();
    DASHBOARD.path("templating").path("list").forEach(v -> variables.add(v.path("name").asString()));
    assertTrue(variables.containsAll(Set.of("datasource", "instance")), variables.toString());
  }

  @Test
  void everyDriverMetricHasAPanel() {
    String all = String.join("\n", exprs());
    for (String metric : List.of(
        "node_publish_total", "node_publish_error_total", "node_unpublish_total", "node_unpublish_error_total",
        "rotation_reconcile_total", "rotation_reconcile_error_total", "rotation_reconcile_duration_sec_bucket",
        "sync_k8s_secret_total",
        "sscsi_provider_call_duration_seconds_bucket", "sscsi_provider_calls_in_flight",
        "sscsi_provider_calls_rejected_total", "sscsi_volumes_mounted", "sscsi_refreshes_total",
        "process_resident_memory_bytes", "process_cpu_seconds_total", "jvm_memory_used_bytes",
        "jvm_gc_collection_seconds_sum", "jvm_threads_current", "process_open_fds")) {
      assertTrue(Pattern.compile("\\b" + metric + "\\b").matcher(all).find(), "no panel queries " + metric);
    }
    assertTrue(all.contains("by (provider, error_type)"), "publish errors by error_type");
    assertTrue(all.contains("histogram_quantile(0.50") && all.contains("histogram_quantile(0.99"), "p50 and p99");
    // upstream's rotation buckets start at 0.1 s: quantiles of faster refreshes would be interpolation
    assertFalse(all.contains("histogram_quantile(0.50, sum by (le) (rate(rotation_reconcile_duration_sec_bucket"),
        "rotation duration as mean and share under the lowest bucket, not quantiles");
    assertTrue(all.contains("rotation_reconcile_duration_sec_sum") && all.contains("le=\"0.1\""));
  }

  /** Brackets balance, variables are defined, counters go through rate/increase. */
  @Test
  void queriesAreWellFormed() {
    Pattern variable = Pattern.compile("\\$(?:\\{)?([A-Za-z_]+)");
    Set<String> known = Set.of("instance", "datasource", "__rate_interval", "__range", "__interval");
    for (String expr : exprs()) {
      assertFalse(expr.isBlank());
      assertEquals(0, balance(expr, '(', ')'), expr);
      assertEquals(0, balance(expr, '{', '}'), expr);
      assertEquals(0, balance(expr, '[', ']'), expr);
      Matcher m = variable.matcher(expr);
      while (m.find()) {
        assertTrue(known.contains(m.group(1)), "undefined variable $" + m.group(1) + " in " + expr);
      }
      Matcher counter = Pattern.compile("(\\w+_total)\\b").matcher(expr);
      while (counter.find()) {
        String before = expr.substring(0, counter.start());
        assertTrue(before.endsWith("rate(") || before.endsWith("increase("),
            counter.group(1) + " is a counter: use rate() or increase(): " + expr);
      }
    }
  }

  static int balance(String s, char open, char close) {
    int depth = 0;
    for (char c : s.toCharArray()) {
      if (c == open) {
        depth++;
      } else if (c == close) {
        depth--;
        assertTrue(depth >= 0, "unbalanced " + close + " in " + s);
      }
    }
    return depth;
  }
}
