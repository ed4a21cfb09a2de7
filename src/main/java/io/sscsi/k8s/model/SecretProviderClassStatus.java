package io.sscsi.k8s.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * {@code SecretProviderClass.status}: empty in {@code v1}. It exists only so that a status written
 * by old {@code v1alpha1} clients ({@code byPod[]}) or by future versions parses and is ignored.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public final class SecretProviderClassStatus {

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretProviderClassStatus;
  }

  @Override
  public int hashCode() {
    return 0;
  }
}
