package io.sscsi.testkit;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Map;

/** Puts SecretProviderClasses and Pods into the (mock) API server and reads status objects back. */
public final class Cluster {
  public static final ResourceDefinitionContext SPC = new ResourceDefinitionContext.Builder()
      .withGroup("secrets-store.csi.x-k8s.io").withVersion("v1").withKind("SecretProviderClass")
      .withPlural("secretproviderclasses").withNamespaced(true).build();
  public static final ResourceDefinitionContext SPCPS = new ResourceDefinitionContext.Builder()
      .withGroup("secrets-store.csi.x-k8s.io").withVersion("v1").withKind("SecretProviderClassPodStatus")
      .withPlural("secretproviderclasspodstatuses").withNamespaced(true).build();

  private final KubernetesClient client;

  public Cluster(KubernetesClient client) {
    this.client = client;
  }

  public void secretProviderClass(String namespace, String name, String provider, Map<String, String> parameters) {
    secretProviderClass(namespace, name, Map.of("provider", provider, "parameters", parameters));
  }

  /** A class with a full spec, e.g. with {@code secretObjects}. */
  public void secretProviderClass(String namespace, String name, Map<String, Object> spec) {
    GenericKubernetesResource spc = new GenericKubernetesResourceBuilder()
        .withApiVersion("secrets-store.csi.x-k8s.io/v1").withKind("SecretProviderClass")
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .addToAdditionalProperties("spec", spec)
        .build();
    client.genericKubernetesResources(SPC).inNamespace(namespace).resource(spc).createOr(r -> r.update());
  }

  /** Creates the pod; returns the uid the API server gave it (fabric8's mock assigns its own). */
  public String pod(String namespace, String name, String uid) {
    return client.pods().inNamespace(namespace).resource(new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).withUid(uid).endMetadata()
        .withNewSpec().withNodeName("node-1").endSpec().build()).createOr(r -> r.update()).getMetadata().getUid();
  }

  /**
   * Creates pod {@code name} on node-1 with an inline volume {@code secrets} of class {@code spc} whose
   * nodePublishSecretRef is {@code secretRef}; returns the uid the API server gave it.
   */
  public String podWithPublishSecret(String namespace, String name, String spc, String secretRef) {
    return client.pods().inNamespace(namespace).resource(new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec().withNodeName("node-1").addNewVolume().withName("secrets").withNewCsi()
        .withDriver("secrets-store.csi.k8s.io").withReadOnly(true)
        .withVolumeAttributes(Map.of("secretProviderClass", spc))
        .withNewNodePublishSecretRef().withName(secretRef).endNodePublishSecretRef()
        .endCsi().endVolume().endSpec().build()).create().getMetadata().getUid();
  }

  public GenericKubernetesResource podStatus(String namespace, String name) {
    return client.genericKubernetesResources(SPCPS).inNamespace(namespace).withName(name).get();
  }
}
