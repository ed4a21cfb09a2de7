package io.sscsi.synccontroller;

import io.sscsi.provider.ProviderMountRequest;
import io.sscsi.synccontroller.model.SecretSync;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pure: the Mount request for one SecretSync, exactly as SSC makes it: attributes are the class's
 * parameters, then the controller pod's own name and uid, the SecretSync's namespace, {@code
 * spec.serviceAccountName} and, when audiences are configured, the tokens; secrets {@code {}},
 * permission {@code "420"}, target path {@value #TARGET_PATH} and no current object versions.
 */
public final class SyncMountRequest {
  public static final String TARGET_PATH = "/mnt/secrets-store";
  static final String POD_NAME = "csi.storage.k8s.io/pod.name";
  static final String POD_UID = "csi.storage.k8s.io/pod.uid";
  static final String POD_NAMESPACE = "csi.storage.k8s.io/pod.namespace";
  static final String SA_NAME = "csi.storage.k8s.io/serviceAccount.name";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private SyncMountRequest() {}

  /**
   * @param podName the controller's pod ({@code SYNC_CONTROLLER_POD_NAME})
   * @param podUid the controller's pod uid ({@code SYNC_CONTROLLER_POD_UID})
   * @param tokensJson {@code serviceAccount.tokens}, empty when no audience is configured
   */
  public static ProviderMountRequest build(ClassRef spc, SecretSync sync, String podName, String podUid,
      Optional<String> tokensJson) {
    Map<String, String> attributes = new TreeMap<>(spc.parameters());
    attributes.put(POD_NAME, podName);
    attributes.put(POD_UID, podUid);
    attributes.put(POD_NAMESPACE, sync.getMetadata().getNamespace());
    attributes.put(SA_NAME, sync.getSpec().serviceAccountName() == null ? "" : sync.getSpec().serviceAccountName());
    tokensJson.ifPresent(t -> attributes.put(ProviderMountRequest.TOKENS_KEY, t));
    return new ProviderMountRequest(JSON.writeValueAsString(attributes), "{}", TARGET_PATH,
        ProviderMountRequest.DEFAULT_PERMISSION, Map.of());
  }
}
