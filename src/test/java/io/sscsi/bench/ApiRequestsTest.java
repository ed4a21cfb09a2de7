package io.sscsi.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ApiRequestsTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "GET|/version|GET /version",
      "GET|/api/v1/namespaces/bench|GET /api/v1/namespaces/{ns}",
      "GET|/api/v1/namespaces/bench/pods/pod-1|GET /api/v1/namespaces/{ns}/pods/{name}",
      "GET|/api/v1/nodes/node-1|GET /api/v1/nodes/{name}",
      "GET|/api/v1/namespaces/bench/secrets?labelSelector=a%3Db&watch=true|WATCH /api/v1/namespaces/{ns}/secrets",
      "GET|/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses?resourceVersion=0|GET /apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses",
      "GET|/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses?allowWatchBookmarks=true&watch=true|WATCH /apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses",
      "POST|/apis/secrets-store.csi.x-k8s.io/v1/namespaces/bench/secretproviderclasspodstatuses|POST /apis/secrets-store.csi.x-k8s.io/v1/namespaces/{ns}/secretproviderclasspodstatuses",
      "PUT|/apis/secrets-store.csi.x-k8s.io/v1/namespaces/bench/secretproviderclasspodstatuses/p-bench-small/status|PUT /apis/secrets-store.csi.x-k8s.io/v1/namespaces/{ns}/secretproviderclasspodstatuses/{name}/status",
      "GET|/apis/x/v1/things?watchers=true|GET /apis/x/v1/things"})
  void verbAndPathWithNamesReplaced(String method, String path, String key) {
    assertEquals(key, ApiRequests.key(method, path));
  }
}
