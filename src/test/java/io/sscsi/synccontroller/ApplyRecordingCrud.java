package io.sscsi.synccontroller;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * fabric8's CRUD mock plus the one thing it cannot serve: server-side apply; it also records every
 * request's method, path and bearer token (so a test with two clients tells who wrote), and can answer status
 * writes 409 Conflict ({@link #statusConflicts}). Every apply request is
 * recorded as it arrived (path with its query, content type, body), which is what the tests assert
 * about it; it is then stored the nearest way the mock can (create when absent, JSON merge patch
 * when present), so the flows after it can go on. What the real API server's apply does beyond that
 * (field ownership, removing fields a manager no longer applies) is not shown here.
 */
public final class ApplyRecordingCrud extends KubernetesCrudDispatcher {
  static final String APPLY = "application/apply-patch+yaml";

  record Apply(String path, String contentType, String body) {}

  /** Any request: its method, path and the bearer token that sent it (which process, in a failover test). */
  record Request(String method, String path, String token) {
    boolean write() {
      return !method.equals("GET");
    }
  }

  final List<Request> requests = new CopyOnWriteArrayList<>();
  /** The next this many PUTs of a status subresource are answered 409 Conflict, as after someone else's write. */
  final AtomicInteger statusConflicts = new AtomicInteger();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String auth = request.getHeader("Authorization");
    requests.add(new Request(request.getMethod(), request.getPath(),
        auth == null ? "" : auth.replaceFirst("^Bearer ", "")));
    if ("PUT".equals(request.getMethod()) && request.getPath().split("\\?")[0].endsWith("/status")
        && statusConflicts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return new MockResponse().setResponseCode(409).setHeader("Content-Type", "application/json").setBody(
          "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Conflict\",\"code\":409,"
              + "\"message\":\"the object has been modified; please apply your changes to the latest version\"}");
    }
    return super.dispatch(request);
  }

  final List<Apply> applies = new CopyOnWriteArrayList<>();
  /** Path prefixes whose applies are refused with 403, as an admission policy refuses them. */
  final List<String> refused = new CopyOnWriteArrayList<>();

  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    String type = request.getHeader("Content-Type");
    if (type == null || !type.startsWith(APPLY)) {
      return super.handlePatch(request);
    }
    String body = request.getUtf8Body();
    applies.add(new Apply(request.getPath(), type, body));
    String path = request.getPath();
    String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    if (refused.stream().anyMatch(bare::startsWith)) {
      return new MockResponse().setResponseCode(403).setHeader("Content-Type", "application/json").setBody(
          "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403,"
              + "\"message\":\"ValidatingAdmissionPolicy 'secrets-store-sync-controller-create-update-policy' denied"
              + " request: secret type not allowed\"}");
    }
    if (handleGet(bare).code() == 404) {
      return handleCreate(new RecordedRequest(request.getHttpVersion(), HttpMethod.POST,
          bare.substring(0, bare.lastIndexOf('/')), request.getHeaders(), new Buffer().writeUtf8(body)));
    }
    return super.handlePatch(new RecordedRequest(request.getHttpVersion(), HttpMethod.PATCH, bare,
        request.getHeaders().newBuilder().set("Content-Type", "application/merge-patch+json").build(),
        new Buffer().writeUtf8(body)));
  }
}
