package io.sscsi.provider;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.fs.PayloadFile;
import io.sscsi.fs.PayloadRules;
import io.sscsi.provider.v1alpha1.File;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.ObjectVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Pure: checks a provider's MountResponse and turns it into a {@link ProviderMountResult}. */
public final class ProviderResponses {
  private ProviderResponses() {}

  /**
   * @throws DriverException PROVIDER_REPORTED_ERROR when the response carries an error code,
   *     PROVIDER_BAD_RESPONSE without object versions, PROVIDER_BAD_PAYLOAD for a file that breaks
   *     the payload rules under {@code policy}
   */
  public static ProviderMountResult check(String provider, MountResponse response, PayloadRules.Policy policy) {
    if (response.hasError() && !response.getError().getCode().isEmpty()) {
      throw DriverException.providerReported(provider, response.getError().getCode());
    }
    if (response.getObjectVersionCount() == 0) {
      throw new DriverException(
          FailureKind.PROVIDER_BAD_RESPONSE,
          "provider " + provider + " returned no object versions (missing object versions)");
    }
    Map<String, String> versions = new HashMap<>();
    for (ObjectVersion v : response.getObjectVersionList()) {
      versions.put(v.getId(), v.getVersion());
    }
    List<PayloadFile> files = new ArrayList<>(response.getFilesCount());
    for (File f : response.getFilesList()) {
      files.add(new PayloadFile(f.getPath(), f.getMode(), f.getContents().toByteArray()));
    }
    try {
      return ProviderMountResult.of(files, versions, policy);
    } catch (DriverException e) {
      throw new DriverException(e.kind(), "provider " + provider + " returned an " + e.getMessage());
    }
  }
}
