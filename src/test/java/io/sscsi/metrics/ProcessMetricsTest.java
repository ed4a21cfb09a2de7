package io.sscsi.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The process and JVM metrics, read from this very JVM's /proc and beans. */
class ProcessMetricsTest {

  static Map<String, Double> values(String text) {
    return text.lines().filter(l -> !l.startsWith("#"))
        .collect(Collectors.toMap(l -> l.substring(0, l.lastIndexOf(' ')),
            l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1).replace("+Inf", "Infinity"))));
  }

  /** Issue 13 item 11: resident memory, CPU seconds, open fds, start time, heap, GC, threads. */
  @Test
  void processAndJvmMetricsOfThisProcess() {
    String text = ProcessMetrics.render();
    Map<String, Double> v = values(text);
    double startedAt = ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0;
    assertEquals(startedAt, v.get("process_start_time_seconds"), 5.0, "the JVM started with the process");
    assertTrue(v.get("process_cpu_seconds_total") > 0, text);
    assertTrue(v.get("process_resident_memory_bytes") > 10 << 20, text);
    assertTrue(v.get("process_virtual_memory_bytes") >= v.get("process_resident_memory_bytes"), text);
    assertTrue(v.get("process_open_fds") > 2, text);
    assertTrue(v.get("process_max_fds") >= v.get("process_open_fds"), text);
    assertTrue(v.get("jvm_memory_used_bytes{area=\"heap\"}") > 0, text);
    assertTrue(v.get("jvm_threads_current") > 1, text);
    assertTrue(v.get("jvm_classes_currently_loaded") > 1000, text);
    assertTrue(text.contains("jvm_gc_collection_seconds_count{gc=\""), text);
    assertTrue(text.contains("jvm_buffer_pool_used_bytes{pool=\"direct\"}"), text);
    Matcher type = Pattern.compile("^# TYPE (\\S+) ", Pattern.MULTILINE).matcher(text);
    while (type.find()) {
      assertTrue(text.contains("# HELP " + type.group(1) + " "), "HELP for " + type.group(1));
    }
  }
}
