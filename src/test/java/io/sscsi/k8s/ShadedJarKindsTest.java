package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.testkit.Integration;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar (what the image runs; the test class path has every fabric8 model jar's own
 * registry) reads resources of unknown type with its short registry of kinds
 * ({@code META-INF/services/io.fabric8.kubernetes.api.model.KubernetesResource}): a watch's error
 * Status and the core kinds the driver handles read as their types, any other kind as
 * GenericKubernetesResource (a typed watch converts it to its type), and no model class of an API
 * group the driver never uses is loaded. fabric8 loads only through the jar's own class loader here.
 * Integration tier: it needs the jar that {@code mvn package} builds.
 */
@Integration
class ShadedJarKindsTest {

  /** The jar {@code mvn package} built; {@code -Dsscsi.jar=OTHER.jar} checks another (e.g. an older build). */
  static final Path JAR = Path.of(System.getProperty("sscsi.jar", "target/sscsi.jar"));

  /** The shaded jar alone, over the platform's classes, telling which classes it has loaded. */
  static final class JarLoader extends URLClassLoader {
    JarLoader(Path jar) throws Exception {
      super(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    }

    boolean loaded(String name) {
      return findLoadedClass(name) != null;
    }
  }

  @Test
  void watchEventsReadWithTheJarsShortRegistryOfKinds() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "no " + JAR + ": the integration tier runs after mvn package");
    Thread thread = Thread.currentThread();
    ClassLoader before = thread.getContextClassLoader();
    try (JarLoader jar = new JarLoader(JAR)) {
      thread.setContextClassLoader(jar);
      Class<?> serialization = jar.loadClass("io.fabric8.kubernetes.client.utils.KubernetesSerialization");
      Object kube = serialization.getConstructor().newInstance();
      Method unmarshal = serialization.getMethod("unmarshal", String.class, Class.class);
      Class<?> watchEvent = jar.loadClass("io.fabric8.kubernetes.api.model.WatchEvent");
      Method object = watchEvent.getMethod("getObject");

      String expired = """
          {"type":"ERROR","object":{"apiVersion":"v1","kind":"Status","code":410,"reason":"Expired"}}""";
      assertEquals("io.fabric8.kubernetes.api.model.Status",
          object.invoke(unmarshal.invoke(kube, expired, watchEvent)).getClass().getName());
      String secret = """
          {"type":"MODIFIED","object":{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"n"}}}""";
      assertEquals("io.fabric8.kubernetes.api.model.Secret",
          object.invoke(unmarshal.invoke(kube, secret, watchEvent)).getClass().getName());
      String providerClass = """
          {"type":"MODIFIED","object":{"apiVersion":"secrets-store.csi.x-k8s.io/v1",\
          "kind":"SecretProviderClass","metadata":{"name":"c","namespace":"n"},"spec":{"provider":"p"}}}""";
      assertEquals("io.fabric8.kubernetes.api.model.GenericKubernetesResource",
          object.invoke(unmarshal.invoke(kube, providerClass, watchEvent)).getClass().getName());

      for (String unused : List.of("io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute",
          "io.fabric8.kubernetes.api.model.apps.Deployment", "io.fabric8.kubernetes.api.model.ConfigMap")) {
        assertFalse(jar.loaded(unused), unused + " was loaded: the jar carries fabric8's registry of every kind");
      }
    } finally {
      thread.setContextClassLoader(before);
    }
  }
}
