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
}
