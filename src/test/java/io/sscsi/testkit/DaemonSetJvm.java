package io.sscsi.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The JVM flags the DaemonSet gives the driver (its JAVA_TOOL_OPTIONS), for process tests that run it as shipped. */
public final class DaemonSetJvm {
  private static final Path DAEMONSET = Path.of("deploy/secrets-store-csi-driver.yaml");

  private DaemonSetJvm() {}

  /**
   * The flags, less those that name files of the image (the AOT cache lives in the image; the
   * runtime that runs the tests may not know its flags).
   */
  public static List<String> flags() {
    String options = javaToolOptions();
    List<String> flags = new ArrayList<>();
    for (String flag : Arrays.asList(options.trim().split("\\s+"))) {
      if (!flag.startsWith("-XX:AOT") && !flag.startsWith("-Djava.io.tmpdir")) {
        flags.add(flag);
      }
    }
    return flags;
  }

  static String javaToolOptions() {
    try (MappingIterator<JsonNode> documents =
             YAMLMapper.builder().build().readerFor(JsonNode.class).readValues(DAEMONSET.toFile())) {
      for (JsonNode document : documents.readAll()) {
        if (!"DaemonSet".equals(document.path("kind").asString(""))) {
          continue;
        }
        for (JsonNode container : document.path("spec").path("template").path("spec").path("containers")) {
          for (JsonNode env : container.path("env")) {
            if ("JAVA_TOOL_OPTIONS".equals(env.path("name").asString(""))) {
              return env.path("value").asString("");
            }
          }
        }
      }
    }
    throw new IllegalStateException("no JAVA_TOOL_OPTIONS in the DaemonSet of " + DAEMONSET);
  }
}
