package io.sscsi.k8s.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The namespaced custom resource {@code secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io/v1}:
 * the record that one pod's volume was mounted from one SecretProviderClass on this node, with the
 * object versions the provider returned. It has no spec (the {@code Void} type parameter), only a
 * status; the CRD has no status subresource, so the whole object is created and updated at once.
 */
@Group(SecretProviderClass.GROUP)
@Version(SecretProviderClass.VERSION)
@Kind("SecretProviderClassPodStatus")
@Plural("secretproviderclasspodstatuses")
@JsonIgnoreProperties(ignoreUnknown = true)
public class SecretProviderClassPodStatus
    extends CustomResource<Void, SecretProviderClassPodStatusStatus> implements Namespaced {

  /** The label that records which node mounted the volume, as upstream names it. */
  public static final String NODE_LABEL = "internal.secrets-store.csi.k8s.io/node-name";
}
