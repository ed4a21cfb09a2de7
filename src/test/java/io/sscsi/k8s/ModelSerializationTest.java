package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.k8s.model.SecretProviderClassPodStatus;
import io.sscsi.status.PodStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire shape of both custom resources, field by field, as upstream's CRDs name them. */
class ModelSerializationTest {

  private final KubernetesSerialization json = new KubernetesSerialization();

  @SuppressWarnings("unchecked")
  private Map<String, Object> toMap(Object o) {
    return json.unmarshal(json.asJson(o), Map.class);
  }

  @Test
  @SuppressWarnings("unchecked")
  void podStatusHasUpstreamFieldNames() {
    PodStatus status =
        new PodStatus("web-0", "app", "uid-1", "spc", "node-1", "/t", Map.of("b", "2", "a", "1"));
    Map<String, Object> m = toMap(KubePodStatusStore.desired(status));

    assertEquals("secrets-store.csi.x-k8s.io/v1", m.get("apiVersion"));
    assertEquals("SecretProviderClassPodStatus", m.get("kind"));
    assertFalse(m.containsKey("spec"));
    Map<String, Object> meta = (Map<String, Object>) m.get("metadata");
    assertEquals("web-0-app-spc", meta.get("name"));
    assertEquals("app", meta.get("namespace"));
    assertEquals(Map.of("internal.secrets-store.csi.k8s.io/node-name", "node-1"), meta.get("labels"));
    assertEquals(
        List.of(Map.of("apiVersion", "v1", "kind", "Pod", "name", "web-0", "uid", "uid-1")),
        meta.get("ownerReferences"));
    assertEquals(
        Map.of(
            "podName", "web-0",
            "secretProviderClassName", "spc",
            "mounted", true,
            "targetPath", "/t",
            "objects", List.of(Map.of("id", "a", "version", "1"), Map.of("id", "b", "version", "2"))),
        m.get("status"));
  }

  @Test
  void secretProviderClassParsesUpstreamJsonAndIgnoresUnknownFields() {
    String in =
        """
        {"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
         "metadata": {"name": "c", "namespace": "n", "managedFields": [{"manager": "kubectl"}]},
         "unknownTop": 1,
         "spec": {"provider": "aws", "parameters": {"objects": "[]"}, "unknownSpec": {},
                  "secretObjects": [{"secretName": "s", "type": "kubernetes.io/tls",
                                     "labels": {"l": "1"}, "annotations": {"a": "2"},
                                     "data": [{"objectName": "cert", "key": "tls.crt"}]}]},
         "status": {"byPod": []}}
        """;
    SecretProviderClass spc = json.unmarshal(in, SecretProviderClass.class);
    assertEquals("aws", spc.getSpec().provider());
    assertEquals(Map.of("objects", "[]"), spc.getSpec().parameters());
    assertEquals("kubernetes.io/tls", spc.getSpec().secretObjects().get(0).type());
    assertEquals("tls.crt", spc.getSpec().secretObjects().get(0).data().get(0).key());
    assertEquals("cert", spc.getSpec().secretObjects().get(0).data().get(0).objectName());
  }

  @Test
  void podStatusParsesWithUnknownFieldsAndMissingMounted() {
    String in =
        """
        {"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClassPodStatus",
         "metadata": {"name": "x", "namespace": "n"}, "spec": {"future": true},
         "status": {"podName": "p", "objects": [{"id": "a", "version": "1", "extra": 0}], "x": 1}}
        """;
    SecretProviderClassPodStatus s = json.unmarshal(in, SecretProviderClassPodStatus.class);
    assertEquals("p", s.getStatus().podName());
    assertNull(s.getStatus().mounted());
    assertEquals("1", s.getStatus().objects().get(0).version());
  }
}
