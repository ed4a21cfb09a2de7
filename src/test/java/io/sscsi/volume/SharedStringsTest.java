package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.provider.ProviderName;
import io.sscsi.spc.ProviderClass;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Two volumes keep one copy of what they share (attribute names, namespace, class, service account,
 * object ids and versions), and their own copies of what is theirs (pod name, pod uid, tokens); the
 * values are unchanged. Each request here is built from fresh string copies, as kubelet's arrive.
 */
class SharedStringsTest {
  static final String POD_NAME = "csi.storage.k8s.io/pod.name";
  static final String POD_NAMESPACE = "csi.storage.k8s.io/pod.namespace";
  static final String POD_UID = "csi.storage.k8s.io/pod.uid";
  static final String SERVICE_ACCOUNT = "csi.storage.k8s.io/serviceAccount.name";

  /** A copy with the same characters and its own identity, as a freshly decoded request holds. */
  static String fresh(String s) {
    return new String(s.toCharArray());
  }

  static PublishRequest request(String pod, String uid) {
    Map<String, String> attributes = Map.of(
        fresh(POD_NAME), fresh(pod),
        fresh(POD_NAMESPACE), fresh("team-a"),
        fresh(POD_UID), fresh(uid),
        fresh(SERVICE_ACCOUNT), fresh("default"),
        fresh("secretProviderClass"), fresh("db-creds"),
        fresh(ServiceAccountTokens.KEY), fresh("{\"aud\":{\"token\":\"t-" + uid + "\"}}"));
    return new PublishRequest(fresh("vol-" + uid), Path.of("/pods/" + uid + "/mount"), fresh("db-creds"), fresh(pod),
        fresh("team-a"), fresh(uid), attributes, Map.of());
  }

  static String key(Map<String, String> map, String key) {
    return map.keySet().stream().filter(key::equals).findFirst().orElseThrow();
  }

  @Test
  void twoVolumesShareTheirAttributeNamesNamespaceClassAndServiceAccount() {
    PublishRequest a = request("web-1", "uid-1");
    PublishRequest b = request("web-2", "uid-2");
    for (String name : new String[] {POD_NAME, POD_NAMESPACE, POD_UID, SERVICE_ACCOUNT, ServiceAccountTokens.KEY}) {
      assertSame(key(a.volumeContext(), name), key(b.volumeContext(), name), name);
    }
    assertSame(a.volumeContext().get(POD_NAMESPACE), b.volumeContext().get(POD_NAMESPACE));
    assertSame(a.volumeContext().get(SERVICE_ACCOUNT), b.volumeContext().get(SERVICE_ACCOUNT));
    assertSame(a.volumeContext().get("secretProviderClass"), b.volumeContext().get("secretProviderClass"));
    assertSame(a.podNamespace(), b.podNamespace());
    assertSame(a.className(), b.className());
    assertSame(a.podNamespace(), a.volumeContext().get(POD_NAMESPACE), "one copy in the field and the attributes");
  }

  @Test
  void podOwnValuesAndTokensAreKeptAsTheyCameWithTheirValuesUnchanged() {
    String tokens = fresh("{\"aud\":{\"token\":\"secret-token\"}}");
    String uid = fresh("uid-9");
    Map<String, String> attributes = Map.of(POD_UID, uid, ServiceAccountTokens.KEY, tokens, POD_NAMESPACE, "ns");
    PublishRequest r = new PublishRequest("v", Path.of("/t"), "c", "p", "ns", uid, attributes, Map.of());
    assertSame(tokens, r.volumeContext().get(ServiceAccountTokens.KEY), "tokens never go into the string table");
    assertSame(uid, r.volumeContext().get(POD_UID));
    assertEquals(attributes, r.volumeContext());
    assertThrows(UnsupportedOperationException.class, () -> r.volumeContext().put("x", "y"));
  }

  @Test
  void longValuesAreNotShared() {
    String longValue = fresh("x".repeat(SharedStrings.MAX_SHARED_LENGTH + 1));
    PublishRequest r = new PublishRequest("v", Path.of("/t"), "c", "p", "ns", "u",
        Map.of("objects", longValue), Map.of());
    assertSame(longValue, r.volumeContext().get("objects"));
  }

  @Test
  void twoMountedVolumesShareTheirObjectIdsAndVersions() {
    ProviderClass spc = new ProviderClass("team-a", "db-creds", "vault", Map.of(), null);
    Instant at = Instant.EPOCH;
    MountedVolume a = MountedVolume.fetched(request("web-1", "uid-1"), spc, new ProviderName("vault"),
        Map.of(fresh("password"), fresh("v7")), at, Optional.empty());
    MountedVolume b = MountedVolume.fetched(request("web-2", "uid-2"), spc, new ProviderName("vault"),
        Map.of(fresh("password"), fresh("v7")), at, Optional.empty());
    assertSame(key(a.versions(), "password"), key(b.versions(), "password"));
    assertSame(a.versions().get("password"), b.versions().get("password"));
    assertEquals(Map.of("password", "v7"), a.versions());
  }
}
