package io.sscsi.provider;

import java.util.Map;

/**
 * One Mount call, in the driver's terms. {@code attributesJson} may carry service-account tokens and
 * {@code secretsJson} carries nodePublishSecretRef data, so {@link #toString()} prints neither.
 *
 * @param attributesJson JSON object: class parameters overlaid with the volume context
 * @param secretsJson JSON object of node-publish secrets, or the literal {@code null}
 * @param targetPath the volume's target path
 * @param permission default file mode as a JSON number ({@code "420"})
 * @param currentVersions object id to version currently mounted (empty on first mount)
 */
public record ProviderMountRequest(
    String attributesJson,
    String secretsJson,
    String targetPath,
    String permission,
    Map<String, String> currentVersions) {

  /** The attribute carrying the pod's service-account tokens (a JSON object of audience to token). */
  public static final String TOKENS_KEY = "csi.storage.k8s.io/serviceAccount.tokens";

  /** 0644 as a decimal JSON number: the mode upstream asks providers to write files with. */
  public static final String DEFAULT_PERMISSION = "420";

  public ProviderMountRequest {
    currentVersions = Map.copyOf(currentVersions);
  }

  @Override
  public String toString() {
    return "ProviderMountRequest[targetPath=" + targetPath + ", permission=" + permission
        + ", currentVersions=" + currentVersions.size() + "]";
  }
}
