package io.sscsi.deploy;

import static io.sscsi.deploy.Manifests.DEPLOY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * deploy/Dockerfile, read as text (no docker daemon here): the two stages, the jar path the
 * entrypoint runs, root on purpose, and a build context that holds what the build needs.
 */
class DockerfileTest {

  static final List<String> LINES = Arrays.asList(Manifests.read(DEPLOY.resolve("Dockerfile")).split("\n"));

  static List<String> instructions(String keyword) {
    return LINES.stream().map(String::strip).filter(l -> l.startsWith(keyword + " ")).toList();
  }

  @Test
  void twoStagesOnTheAgreedBaseImages() {
    assertEquals(List.of("FROM maven:3.9-eclipse-temurin-17 AS build", "FROM eclipse-temurin:17-jre"),
        instructions("FROM"));
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

  @Test
  void runsAsRootOnPurpose() {
    assertTrue(instructions("USER").isEmpty(), "the driver mounts tmpfs: it must run as root");
    assertTrue(LINES.stream().anyMatch(l -> l.contains("must run as root")), "say why there is no USER");
  }

  /** The allow-list context keeps pom.xml and src/main, which is all the build copies. */
  @Test
  void buildContextHoldsWhatTheBuildCopies() {
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
    assertFalse(LINES.stream().anyMatch(l -> l.contains("src/test")), "tests are not built in the image");
  }
}
