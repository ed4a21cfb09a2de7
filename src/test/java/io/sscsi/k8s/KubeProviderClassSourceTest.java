package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassSpec;
import io.sscsi.k8s.model.SecretProviderClassSpec.SecretObject;
import io.sscsi.k8s.model.SecretProviderClassSpec.SecretObjectData;
import io.sscsi.spc.ProviderClass;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubeProviderClassSourceTest {

  KubernetesMockServer server;
  KubernetesClient client;

  private KubeProviderClassSource source;

  @BeforeEach
  void setUp() {
    source = new KubeProviderClassSource(client);
  }

  private void createSpc(String ns, String name, SecretProviderClassSpec spec) {
    SecretProviderClass spc = new SecretProviderClass();
    spc.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    spc.setSpec(spec);
    client.resources(SecretProviderClass.class).inNamespace(ns).resource(spc).create();
  }

  @Test
  void foundClassIsConverted() {
    createSpc(
        "app",
        "vault-db",
        new SecretProviderClassSpec(
            "vault",
            Map.of("roleName", "db", "objects", "- objectName: password\n"),
            List.of(
                new SecretObject(
                    "db-creds",
                    "Opaque",
                    Map.of("team", "a"),
                    Map.of("note", "synced"),
                    List.of(
                        new SecretObjectData("password", "pw"),
                        new SecretObjectData("user", "username"))))));

    ProviderClass pc = source.get("app", "vault-db");

    assertEquals("app", pc.namespace());
    assertEquals("vault-db", pc.name());
    assertEquals("vault", pc.provider());
    assertEquals(Map.of("roleName", "db", "objects", "- objectName: password\n"), pc.parameters());
    assertEquals(
        List.of(
            new ProviderClass.SecretObject(
                "db-creds",
                "Opaque",
                Map.of("team", "a"),
                Map.of("note", "synced"),
                List.of(
                    new ProviderClass.DataItem("password", "pw"),
                    new ProviderClass.DataItem("user", "username")))),
        pc.secretObjects());
  }

  @Test
  void classWithoutSecretObjectsHasEmptyList() {
    createSpc("app", "plain", new SecretProviderClassSpec("azure", Map.of("k", "v"), null));
    ProviderClass pc = source.get("app", "plain");
    assertEquals(List.of(), pc.secretObjects());
  }

  @Test
  void unknownFieldsAndNullEntriesAreTolerated() {
    String json =
        """
        {"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
         "metadata": {"name": "future", "namespace": "app"},
         "futureTopLevel": {"x": 1},
         "spec": {"provider": "gcp", "parameters": {"secrets": "a", "dropped": null},
                  "futureSpecField": [1, 2],
                  "secretObjects": [null, {"secretName": "s", "type": "Opaque", "futureItemField": true,
                                           "data": [{"objectName": "a", "key": "k", "extra": "x"}, null]}]},
         "status": {"byPod": [{"id": "p", "namespace": "app"}]}}
        """;
    GenericKubernetesResource generic =
        client.getKubernetesSerialization().unmarshal(json, GenericKubernetesResource.class);
    ResourceDefinitionContext ctx =
        new ResourceDefinitionContext.Builder()
            .withGroup("secrets-store.csi.x-k8s.io")
            .withVersion("v1")
            .withKind("SecretProviderClass")
            .withPlural("secretproviderclasses")
            .withNamespaced(true)
            .build();
    client.genericKubernetesResources(ctx).inNamespace("app").resource(generic).create();

    ProviderClass pc = source.get("app", "future");

    assertEquals("gcp", pc.provider());
    assertEquals(Map.of("secrets", "a"), pc.parameters());
    assertEquals(1, pc.secretObjects().size());
    assertEquals(List.of(new ProviderClass.DataItem("a", "k")), pc.secretObjects().get(0).data());
  }

  @Test
  void missingClassIsNotFoundNamingClassAndNamespace() {
    createSpc("other", "vault-db", new SecretProviderClassSpec("vault", Map.of("k", "v"), null));

    DriverException e = assertThrows(DriverException.class, () -> source.get("app", "vault-db"));

    assertEquals(FailureKind.SPC_NOT_FOUND, e.kind());
    assertEquals(
        "SecretProviderClass \"vault-db\" not found in namespace \"app\"", e.getMessage());
  }

  @Test
  void emptyProviderIsInvalid() {
    createSpc("app", "noprov", new SecretProviderClassSpec("", Map.of("k", "v"), null));
    DriverException e = assertThrows(DriverException.class, () -> source.get("app", "noprov"));
    assertEquals(FailureKind.SPC_INVALID, e.kind());
    assertEquals("provider not set in app/noprov", e.getMessage());
  }

  @Test
  void missingSpecIsInvalid() {
    createSpc("app", "nospec", null);
    DriverException e = assertThrows(DriverException.class, () -> source.get("app", "nospec"));
    assertEquals(FailureKind.SPC_INVALID, e.kind());
    assertEquals("provider not set in app/nospec", e.getMessage());
  }

  @Test
  void emptyParametersAreInvalid() {
    createSpc("app", "noparams", new SecretProviderClassSpec("vault", Map.of(), null));
    createSpc("app", "nullparams", new SecretProviderClassSpec("vault", null, null));

    DriverException empty = assertThrows(DriverException.class, () -> source.get("app", "noparams"));
    DriverException missing =
        assertThrows(DriverException.class, () -> source.get("app", "nullparams"));

    assertEquals(FailureKind.SPC_INVALID, empty.kind());
    assertEquals("parameters not set in app/noparams", empty.getMessage());
    assertEquals(FailureKind.SPC_INVALID, missing.kind());
    assertEquals("parameters not set in app/nullparams", missing.getMessage());
  }

  @Test
  void blankNameIsInvalidRequestWithoutCallingTheApi() {
    int before = server.getRequestCount();
    DriverException e = assertThrows(DriverException.class, () -> source.get("app", " "));
    assertEquals(FailureKind.INVALID_REQUEST, e.kind());
    assertEquals(before, server.getRequestCount());
  }
}
