package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sscsi.errors.ForeignText;
import io.sscsi.k8s.model.SecretProviderClass;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncStatus;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@link SyncApi} on the fabric8 client. SecretProviderClasses are read from the class watch's
 * store when one is given (no request), else by GET. Secrets are written by server-side apply with
 * field manager {@value SyncApi#FIELD_MANAGER} and force, as SSC writes them, so a Secret SSC wrote
 * changes hands without conflicts. Failures never quote a response body: the HTTP code, the
 * server's short reason and its message (cut), which for an admission refusal names the policy.
 */
public final class KubeSyncApi implements SyncApi {
  private static final int NOT_FOUND = 404;
  private static final int CONFLICT = 409;

  private final KubernetesClient client;
  private final Function<String, Optional<Optional<SecretProviderClass>>> classStore;

  /**
   * @param classStore SecretProviderClass by {@code namespace/name} from a watch (the outer Optional
   *     empty while the watch has not listed yet), or null to GET each time; a class the store does not
   *     hold is read by GET too (one created just before its SecretSync may not have reached the watch)
   */
  public KubeSyncApi(KubernetesClient client, Function<String, Optional<Optional<SecretProviderClass>>> classStore) {
    this.client = client;
    this.classStore = classStore;
  }

  @Override
  public Optional<ClassRef> providerClass(String namespace, String name) {
    Optional<Optional<SecretProviderClass>> cached = classStore == null ? Optional.empty()
        : classStore.apply(namespace + "/" + name);
    Optional<SecretProviderClass> spc;
    if (cached.isPresent() && cached.get().isPresent()) {
      spc = cached.get();
    } else { // not in the watch's store: read, since a class created just before its SecretSync may not be there yet
      spc = Optional.ofNullable(call("get SecretProviderClass " + namespace + "/" + name, SyncFailure.SYNC_ERROR,
          () -> client.resources(SecretProviderClass.class).inNamespace(namespace).withName(name).get()));
    }
    return spc.map(ClassRef::of);
  }

  @Override
  public Optional<Secret> secret(String namespace, String name) {
    return Optional.ofNullable(call("get Secret " + namespace + "/" + name, SyncFailure.SYNC_ERROR,
        () -> client.secrets().inNamespace(namespace).withName(name).get()));
  }

  @Override
  public Secret apply(Secret secret) {
    String ns = secret.getMetadata().getNamespace();
    return call("apply Secret " + ns + "/" + secret.getMetadata().getName(), SyncFailure.PATCH_ERROR,
        () -> client.secrets().inNamespace(ns).resource(secret).fieldManager(FIELD_MANAGER).forceConflicts()
            .serverSideApply());
  }

  /**
   * One PUT of the status subresource, locked to the resourceVersion of {@code sync} as the watch (or
   * the last status write) delivered it: no GET before it. The whole status is replaced, conditions
   * included; the server's answer is returned (it differs from {@code sync} only in status and
   * version). When someone else changed the object since (409 Conflict), it is read once and the
   * status put again on that version; then nothing is returned, since the object read may hold changes
   * the watch has yet to deliver. An object deleted meanwhile gets no status.
   */
  @Override
  public Optional<SecretSync> writeStatus(SecretSync sync, SecretSyncStatus status) {
    return Optional.ofNullable(call("write the status of SecretSync " + SyncKey.of(sync), SyncFailure.SYNC_ERROR, () -> {
      try {
        return putStatus(sync, status);
      } catch (KubernetesClientException e) {
        if (e.getCode() != CONFLICT) {
          throw e;
        }
        SecretSync fresh = client.resources(SecretSync.class).inNamespace(sync.getMetadata().getNamespace())
            .withName(sync.getMetadata().getName()).get();
        if (fresh != null) {
          putStatus(fresh, status);
        }
        return null;
      }
    }));
  }

  /** PUT of {@code known} with {@code status} to its status subresource; {@code known} itself is not changed. */
  private SecretSync putStatus(SecretSync known, SecretSyncStatus status) {
    SecretSync body = new SecretSync();
    body.setMetadata(known.getMetadata());
    body.setSpec(known.getSpec());
    body.setStatus(status);
    return client.resources(SecretSync.class).inNamespace(known.getMetadata().getNamespace()).resource(body)
        .updateStatus();
  }

  @Override
  public void retainFinalizer(SecretSync sync, boolean present) {
    call("update the finalizers of SecretSync " + SyncKey.of(sync), SyncFailure.SYNC_ERROR,
        () -> client.resources(SecretSync.class).inNamespace(sync.getMetadata().getNamespace())
            .withName(sync.getMetadata().getName()).edit(s -> {
              List<String> finalizers = new ArrayList<>(s.getMetadata().getFinalizers() == null ? List.of()
                  : s.getMetadata().getFinalizers());
              finalizers.remove(SyncAnnotations.RETAIN_FINALIZER);
              if (present) {
                finalizers.add(SyncAnnotations.RETAIN_FINALIZER);
              }
              s.getMetadata().setFinalizers(finalizers);
              return s;
            }));
  }

  @Override
  public void release(SecretSync sync) {
    String ns = sync.getMetadata().getNamespace();
    String name = sync.getMetadata().getName();
    call("remove the ownerReference of Secret " + ns + "/" + name, SyncFailure.PATCH_ERROR, () -> {
      Secret s = client.secrets().inNamespace(ns).withName(name).get();
      if (s != null && OwnedSecret.ownedBy(s, sync)) {
        client.secrets().inNamespace(ns).withName(name).edit(e -> {
          e.getMetadata().getOwnerReferences().removeIf(o -> sync.getMetadata().getUid().equals(o.getUid()));
          return e;
        });
      }
      return null;
    });
  }

  @Override
  public TokenCache.Token request(String namespace, String serviceAccount, String audience, long seconds) {
    TokenRequest request = new TokenRequestBuilder().withNewSpec().withAudiences(audience)
        .withExpirationSeconds(seconds).endSpec().build();
    TokenRequest answer = call("request a token for ServiceAccount " + namespace + "/" + serviceAccount,
        SyncFailure.SYNC_ERROR, () -> client.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
            .tokenRequest(request));
    if (answer == null || answer.getStatus() == null || answer.getStatus().getToken() == null) {
      throw new SyncFailure(SyncFailure.SYNC_ERROR, "", "the TokenRequest for ServiceAccount " + namespace + "/"
          + serviceAccount + " was answered without a token").toException();
    }
    String expires = answer.getStatus().getExpirationTimestamp();
    return new TokenCache.Token(answer.getStatus().getToken(),
        expires == null ? Instant.now().plusSeconds(seconds) : Instant.parse(expires));
  }

  private interface Call<T> {
    T run();
  }

  private static <T> T call(String what, String reason, Call<T> call) {
    try {
      return call.run();
    } catch (KubernetesClientException e) {
      if (e.getCode() == NOT_FOUND && what.startsWith("get ")) {
        return null;
      }
      throw new SyncFailure(reason, e.getCode() > 0 ? Integer.toString(e.getCode()) : "ApiServerUnavailable",
          describe(what, e)).toException();
    }
  }

  /** The failure in one line, without a response body. */
  static String describe(String what, KubernetesClientException e) {
    if (e.getCode() > 0) {
      var status = e.getStatus();
      String reason = status == null || status.getReason() == null ? "" : " " + status.getReason();
      String message = status == null || status.getMessage() == null ? "" : ": " + ForeignText.bounded(status.getMessage());
      return "the API server refused to " + what + " (HTTP " + e.getCode() + reason + ")" + message;
    }
    Throwable io = e;
    while (io != null && !(io instanceof IOException)) {
      io = io.getCause();
    }
    return "the API server is unreachable, cannot " + what
        + (io == null ? "" : ": " + io.getClass().getSimpleName());
  }
}
