package io.sscsi.k8s.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The namespaced custom resource {@code secretproviderclasses.secrets-store.csi.x-k8s.io/v1}: which
 * provider to call with which parameters, and which Kubernetes Secrets to mirror the mounted
 * content into. Only read by the driver, never written; unknown fields are ignored so that newer
 * CRD versions still parse.
 */
@Group(SecretProviderClass.GROUP)
@Version(SecretProviderClass.VERSION)
@Kind("SecretProviderClass")
@Plural("secretproviderclasses")
@JsonIgnoreProperties(ignoreUnknown = true)
public class SecretProviderClass
    extends CustomResource<SecretProviderClassSpec, SecretProviderClassStatus>
    implements Namespaced {

  /** The API group of both CRDs. */
  public static final String GROUP = "secrets-store.csi.x-k8s.io";

  /** The storage version the driver reads and writes. */
  public static final String VERSION = "v1";
}
