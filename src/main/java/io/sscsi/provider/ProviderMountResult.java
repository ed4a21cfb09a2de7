package io.sscsi.provider;

import io.sscsi.fs.CheckedPayload;
import io.sscsi.fs.PayloadFile;
import java.util.List;
import java.util.Map;

/**
 * A provider's successful answer, its files already checked against the payload rules.
 *
 * @param payload the complete desired content of the volume; empty when the provider wrote the files
 *     itself (legacy providers)
 * @param versions object id to version
 */
public record ProviderMountResult(CheckedPayload payload, Map<String, String> versions) {
  public ProviderMountResult {
    versions = Map.copyOf(versions);
  }

  /** Checks {@code files} against the payload rules under {@code policy}. */
  public static ProviderMountResult of(List<PayloadFile> files, Map<String, String> versions,
      io.sscsi.fs.PayloadRules.Policy policy) {
    return new ProviderMountResult(CheckedPayload.of(files, policy), versions);
  }
}
