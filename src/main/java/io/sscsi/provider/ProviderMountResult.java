package io.sscsi.provider;

import io.sscsi.fs.PayloadFile;
import java.util.List;
import java.util.Map;

/**
 * A provider's successful answer, already checked against the payload rules.
 *
 * @param files the complete desired content of the volume; empty when the provider wrote the files
 *     itself (legacy providers)
 * @param versions object id to version
 */
public record ProviderMountResult(List<PayloadFile> files, Map<String, String> versions) {
  public ProviderMountResult {
    files = List.copyOf(files);
    versions = Map.copyOf(versions);
  }
}
