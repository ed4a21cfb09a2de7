package io.sscsi.synccontroller.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The namespaced custom resource {@code secretsyncs.secret-sync.x-k8s.io/v1alpha1} of
 * secrets-store-sync-controller (SSC): one Secret, of the same name and namespace, filled from a
 * provider through a SecretProviderClass. The controller reads the spec and writes the status
 * subresource (and, for {@code sscsi.io/retain-on-delete}, its own finalizer). Unknown fields are
 * ignored so that newer CRD versions still parse.
 */
@Group(SecretSync.GROUP)
@Version(SecretSync.VERSION)
@Kind("SecretSync")
@Plural("secretsyncs")
@JsonIgnoreProperties(ignoreUnknown = true)
public class SecretSync extends CustomResource<SecretSyncSpec, SecretSyncStatus> implements Namespaced {

  public static final String GROUP = "secret-sync.x-k8s.io";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;
  public static final String KIND = "SecretSync";
}
