package io.sscsi.provider;

import io.sscsi.spc.ProviderClass;
import io.sscsi.volume.PublishRequest;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pure: builds the Mount request exactly as upstream v1.6 does. Attributes are the class
 * parameters overlaid with every volume attribute (the volume context wins), plus the
 * service-account tokens, taken from the request's secrets first (Kubernetes 1.35
 * {@code serviceAccountTokenInSecrets}) and else from the volume context. Secrets are the request's
 * secrets, the JSON literal {@code null} when there are none. Keys are sorted, as Go encodes maps.
 */
public final class ProviderAttributes {
  public static final String TOKENS_KEY = "csi.storage.k8s.io/serviceAccount.tokens";
  /** 0644 as a decimal JSON number. */
  public static final String DEFAULT_PERMISSION = "420";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private ProviderAttributes() {}

  public static ProviderMountRequest build(
      ProviderClass spc, PublishRequest request, Map<String, String> currentVersions) {
    Map<String, String> attributes = new TreeMap<>(spc.parameters());
    attributes.putAll(request.volumeContext());
    String tokens = request.secrets().get(TOKENS_KEY);
    if (tokens != null) {
      attributes.put(TOKENS_KEY, tokens);
    }
    String secrets = request.secrets().isEmpty() ? "null" : json(new TreeMap<>(request.secrets()));
    return new ProviderMountRequest(
        json(attributes), secrets, request.targetPath().toString(), DEFAULT_PERMISSION, currentVersions);
  }

  private static String json(Map<String, String> map) {
    return JSON.writeValueAsString(map);
  }
}
