package io.sscsi.spc;

import io.sscsi.errors.DriverException;

/**
 * Where SecretProviderClasses come from. Implementations block (network or disk) and must be
 * called on the blocking dispatcher.
 */
public interface ProviderClassSource {

  /**
   * The class {@code name} in {@code namespace}, already checked to be usable (provider and
   * parameters set).
   *
   * @throws DriverException SPC_NOT_FOUND naming class and namespace, SPC_INVALID, API_UNAVAILABLE
   *     or API_FORBIDDEN
   */
  ProviderClass get(String namespace, String name);
}
