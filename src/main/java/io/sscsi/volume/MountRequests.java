package io.sscsi.volume;

import io.sscsi.provider.ProviderMountRequest;
import io.sscsi.spc.ProviderClass;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pure: builds a publish's Mount request exactly as upstream v1.6 does, and hands the provider edge
 * plain values (JSON text, the target, the versions). Attributes are the class parameters overlaid
 * with every volume attribute (the volume context wins), plus the service-account tokens, taken from
 * the request's secrets first (Kubernetes 1.35 {@code serviceAccountTokenInSecrets}) and else from
 * the volume context. Secrets are the request's secrets, the JSON literal {@code null} when there are
 * none. Keys are sorted, as Go encodes maps.
 */
final class MountRequests {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private MountRequests() {}

  static ProviderMountRequest build(ProviderClass spc, PublishRequest request, Map<String, String> currentVersions) {
    Map<String, String> attributes = new TreeMap<>(spc.parameters());
    attributes.putAll(request.volumeContext());
    String tokens = request.secrets().get(ServiceAccountTokens.KEY);
    if (tokens != null) {
      attributes.put(ServiceAccountTokens.KEY, tokens);
    }
    String secrets = request.secrets().isEmpty() ? "null" : json(new TreeMap<>(request.secrets()));
    return new ProviderMountRequest(json(attributes), secrets, request.targetPath().toString(),
        ProviderMountRequest.DEFAULT_PERMISSION, currentVersions);
  }

  private static String json(Map<String, String> map) {
    return JSON.writeValueAsString(map);
  }
}
