package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.DEPLOY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/Dockerfile, read as text: the two stages on base images given as build arguments, the jar
 * path the entrypoint runs, the AOT cache trained at build time and loaded by the DaemonSet's own JVM
 * flags, root on purpose, and a build context that holds what the build reads. deploy/hack/image-test.sh
 * builds and runs the image for real (CI, outside {@code mvn test}).
 */
class DockerfileTest {

  static final List<String> LINES = Arrays.asList(Manifests.read(DEPLOY.resolve("Dockerfile")).split("\n"));

  static List<String> instructions(String keyword) {
    return LINES.stream().map(String::strip).filter(l -> l.startsWith(keyword + " ")).toList();
  }

  static final String AOT_CACHE_FLAG = "-XX:AOTCache=/app/sscsi.aot";

  @Test
  void twoStagesOnBaseImagesGivenAsBuildArguments() {
    assertEquals(List.of("ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17", "ARG RUNTIME_IMAGE=eclipse-temurin:25-jre"),
        instructions("ARG"));
    assertEquals(List.of("FROM ${BUILD_IMAGE} AS build", "FROM ${RUNTIME_IMAGE}"), instructions("FROM"));
    assertTrue(LINES.stream().anyMatch(l -> l.contains("mvn -q -B") && l.contains("package")));
    assertTrue(instructions("COPY").contains("COPY --from=build /sscsi.jar /app/sscsi.jar"));
  }

  @Test
  void entrypointRunsTheJarAndTheDaemonSetGivesTheSubcommand() {
    assertEquals(List.of("ENTRYPOINT [\"java\", \"-jar\", \"/app/sscsi.jar\"]"), instructions("ENTRYPOINT"));
    DaemonSet ds = Manifests.only(Manifests.load(DEPLOY.resolve("secrets-store-csi-driver.yaml")), DaemonSet.class);
    var driver = Manifests.container(ds, "secrets-store");
    assertTrue(driver.getCommand() == null || driver.getCommand().isEmpty(), "keep the image's entrypoint");
    assertEquals("driver", driver.getArgs().get(0));
  }

  /** The image's JVM flags, word for word, from its {@code ENV JAVA_TOOL_OPTIONS="..."}. */
  static List<String> imageJvmFlags() {
    Matcher m = Pattern.compile("^ENV JAVA_TOOL_OPTIONS=\"([^\"]*)\"").matcher(
        String.join("\n", instructions("ENV")));
    assertTrue(m.find(), "no ENV JAVA_TOOL_OPTIONS=\"...\" in the Dockerfile");
    return Arrays.asList(m.group(1).split(" "));
  }

  /**
   * The pod's JAVA_TOOL_OPTIONS replaces the image's: the static DaemonSet, the chart's default and the
   * image carry the same flags, and all load the AOT cache. A cache is recorded under flags (compressed
   * oops, module options) that the run must repeat, or the JVM drops it with a warning; image-test.sh
   * starts the driver with the image's flags and fails on that warning.
   */
  @Test
  void jvmFlagsAreTheDaemonSetsAndLoadTheAotCache() {
    List<String> image = imageJvmFlags();
    assertFalse(image.contains(""), "JAVA_TOOL_OPTIONS has empty words: " + image);
    assertEquals(1, image.stream().filter(f -> f.startsWith("-XX:AOTCache=")).count(), image.toString());
    assertEquals(AOT_CACHE_FLAG, image.get(image.size() - 1), "the cache flag comes last");
    DaemonSet ds = Manifests.only(Manifests.load(DEPLOY.resolve("secrets-store-csi-driver.yaml")), DaemonSet.class);
    var driver = Manifests.container(ds, "secrets-store");
    assertEquals(image, Arrays.asList(StaticManifestsTest.env(driver, "JAVA_TOOL_OPTIONS").getValue().split(" ")),
        "the DaemonSet's JAVA_TOOL_OPTIONS");
    assertEquals(image, Arrays.asList(
        ChartFilesTest.values().path("linux").path("driver").path("javaToolOptions").asString().split(" ")),
        "the chart's linux.driver.javaToolOptions");
    String malloc = "MALLOC_ARENA_MAX=" + StaticManifestsTest.env(driver, "MALLOC_ARENA_MAX").getValue();
    assertTrue(LINES.stream().map(String::strip).anyMatch(malloc::equals), "the image sets " + malloc + " as the DaemonSet");
  }

  /**
   * The training run writes the cache the flags load, after the jar is in place, with the runtime's
   * java and the DaemonSet's flags, which aot-train.sh reads itself (equal to the image's, above).
   */
  @Test
  void aotCacheIsTrainedAtBuildTime() {
    String copyJar = "COPY --from=build /sscsi.jar /app/sscsi.jar";
    String run = String.join(" ", LINES.subList(LINES.indexOf(copyJar), LINES.size())).replace("\\", " ");
    Matcher train = Pattern.compile("RUN --mount=type=bind,source=deploy,target=(\\S+) +env -u JAVA_TOOL_OPTIONS "
        + "bash \\1/hack/aot-train.sh \"\\$\\(command -v java\\)\" /app/sscsi.jar /app/sscsi.aot ").matcher(run);
    assertTrue(train.find(), "a RUN after the jar's COPY calls aot-train.sh JAVA /app/sscsi.jar /app/sscsi.aot");
    assertTrue(run.contains("-XX:AOTMode=on -jar /app/sscsi.jar --version"), "the build fails on a cache the JVM refuses");
  }

  @Test
  void runsAsRootOnPurpose() {
    assertTrue(instructions("USER").isEmpty(), "the driver mounts tmpfs: it must run as root");
    assertTrue(LINES.stream().anyMatch(l -> l.contains("must run as root")), "say why there is no USER");
  }

  /**
   * The allow-list context keeps what the build copies or bind-mounts: pom.xml, src/main, and the
   * training script with the files beside it and the DaemonSet it reads.
   */
  @Test
  void buildContextHoldsWhatTheBuildReads() {
    List<String> ignore = Arrays.stream(Manifests.read(DEPLOY.resolve("Dockerfile.dockerignore")).split("\n"))
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertEquals("*", ignore.get(0));
    for (String copy : instructions("COPY")) {
      if (copy.startsWith("COPY --from")) {
        continue;
      }
      String source = copy.split("\\s+")[1];
      assertTrue(ignore.contains("!" + source) || ignore.contains("!" + source + "/"),
          copy + ": not in the build context");
    }
    Matcher bind = Pattern.compile("--mount=type=bind,source=([^,\\s]+)").matcher(String.join("\n", LINES));
    while (bind.find()) {
      String source = bind.group(1);
      assertTrue(ignore.stream().anyMatch(p -> p.startsWith("!" + source + "/")),
          source + ": bind-mounted, but nothing of it is in the build context");
    }
    assertTrue(ignore.contains("!deploy/hack/"), "aot-train.sh and the scripts it sources");
    assertTrue(ignore.contains("!deploy/secrets-store-csi-driver.yaml"), "the DaemonSet whose flags the training reads");
    assertFalse(LINES.stream().anyMatch(l -> l.contains("src/test")), "tests are not built in the image");
  }
}
