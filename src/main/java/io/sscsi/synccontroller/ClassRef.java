package io.sscsi.synccontroller;

import java.util.Map;

/**
 * The parts of a SecretProviderClass the sync controller reads: {@code spec.provider} and
 * {@code spec.parameters} (null parameters are an empty map: SSC panics on them), plus its uid and
 * generation for the sync hash.
 */
public record ClassRef(String namespace, String name, String provider, Map<String, String> parameters, String uid,
    Long generation) {
  public ClassRef {
    parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
  }

  /** The class as the API server holds it. */
  public static ClassRef of(io.sscsi.k8s.model.SecretProviderClass c) {
    return new ClassRef(c.getMetadata().getNamespace(), c.getMetadata().getName(),
        c.getSpec() == null ? null : c.getSpec().provider(), c.getSpec() == null ? null : c.getSpec().parameters(),
        c.getMetadata().getUid(), c.getMetadata().getGeneration());
  }

  /** Whether a sync that read {@code this} would send the provider what one that read {@code other} sends. */
  public boolean sameContentAs(ClassRef other) {
    return java.util.Objects.equals(uid, other.uid) && java.util.Objects.equals(provider, other.provider)
        && parameters.equals(other.parameters);
  }
}
