package io.sscsi.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What /metrics makes of Kamon's text. */
class ExpositionTest {
  static final String KAMON = String.join("\n",
      "# HELP node_publish_total Publishes",
      "# TYPE node_publish_total counter",
      "node_publish_total{provider=\"p\",os_type=\"linux\"} 0.0",
      "# HELP kamon_trace_sampler_decisions_total Kamon's own",
      "# TYPE kamon_trace_sampler_decisions_total counter",
      "kamon_trace_sampler_decisions_total{decision=\"sample\"} 0.0",
      "# HELP rotation_reconcile_duration_sec_seconds Seconds",
      "# TYPE rotation_reconcile_duration_sec_seconds histogram",
      "rotation_reconcile_duration_sec_seconds_bucket{le=\"0.1\",os_type=\"linux\"} 1.0",
      "rotation_reconcile_duration_sec_seconds_bucket{os_type=\"linux\",le=\"1.9999999999999991\"} 1.0",
      "rotation_reconcile_duration_sec_seconds_bucket{le=\"2.0\",os_type=\"linux\"} 1.0",
      "rotation_reconcile_duration_sec_seconds_bucket{le=\"+Inf\",os_type=\"linux\"} 1.0",
      "rotation_reconcile_duration_sec_seconds_count{os_type=\"linux\"} 1.0",
      "rotation_reconcile_duration_sec_seconds_sum{os_type=\"linux\"} 0.02",
      "# HELP k8s_secret_duration_sec_seconds Seconds",
      "# TYPE k8s_secret_duration_sec_seconds histogram",
      "",
      "# HELP sscsi_volumes_mounted Volumes",
      "# TYPE sscsi_volumes_mounted gauge",
      "sscsi_volumes_mounted 0.0",
      "");

  @Test
  void upstreamNamesGoLeValuesNoKamonFamiliesNoEmptyFamilies() {
    String out = Exposition.rewrite(KAMON, Map.of(
        "rotation_reconcile_duration_sec_seconds", "rotation_reconcile_duration_sec",
        "k8s_secret_duration_sec_seconds", "k8s_secret_duration_sec"));
    assertEquals(String.join("\n",
        "# HELP node_publish_total Publishes",
        "# TYPE node_publish_total counter",
        "node_publish_total{provider=\"p\",os_type=\"linux\"} 0.0",
        "# HELP rotation_reconcile_duration_sec Seconds",
        "# TYPE rotation_reconcile_duration_sec histogram",
        "rotation_reconcile_duration_sec_bucket{le=\"0.1\",os_type=\"linux\"} 1.0",
        "rotation_reconcile_duration_sec_bucket{os_type=\"linux\",le=\"1.9999999999999991\"} 1.0",
        "rotation_reconcile_duration_sec_bucket{le=\"2\",os_type=\"linux\"} 1.0",
        "rotation_reconcile_duration_sec_bucket{le=\"+Inf\",os_type=\"linux\"} 1.0",
        "rotation_reconcile_duration_sec_count{os_type=\"linux\"} 1.0",
        "rotation_reconcile_duration_sec_sum{os_type=\"linux\"} 0.02",
        "# HELP sscsi_volumes_mounted Volumes",
        "# TYPE sscsi_volumes_mounted gauge",
        "sscsi_volumes_mounted 0.0",
        ""), out);
  }

  @Test
  void aHistogramWithoutObservationsGetsItsZeroSamples() {
    String out = Exposition.rewrite(KAMON, Map.of("k8s_secret_duration_sec_seconds", "k8s_secret_duration_sec"),
        Map.of("k8s_secret_duration_sec", "k8s_secret_duration_sec_count 0\n"));
    assertEquals(true, out.contains("# TYPE k8s_secret_duration_sec histogram\nk8s_secret_duration_sec_count 0\n"), out);
    String zeros = DriverMetrics.zeroHistograms().get("rotation_reconcile_duration_sec");
    assertEquals(true, zeros.startsWith("rotation_reconcile_duration_sec_bucket{le=\"0.1\",os_type=\"linux\"} 0\n"), zeros);
    assertEquals(true, zeros.contains("{le=\"1.9999999999999991\",os_type=\"linux\"} 0\n"), zeros);
    assertEquals(true, zeros.endsWith("rotation_reconcile_duration_sec_sum{os_type=\"linux\"} 0\n"), zeros);
  }

  @Test
  void textBuilderEscapesLabelValues() {
    String out = new Exposition.Text().family("jvm_runtime_info", "gauge", "Runtime")
        .sample("jvm_runtime_info", 1, "vendor", "A \"quoted\" \\ vendor\n").toString();
    assertEquals("# HELP jvm_runtime_info Runtime\n# TYPE jvm_runtime_info gauge\n"
        + "jvm_runtime_info{vendor=\"A \\\"quoted\\\" \\\\ vendor\\n\"} 1\n", out);
  }
}
