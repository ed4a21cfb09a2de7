package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Secret;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncStatus;
import java.util.Optional;

/**
 * What a sync needs from the API server. Every method blocks (call on the blocking dispatcher) and
 * fails with {@link SyncFailure.Failed}: a refused write is {@code ControllerPatchError} naming the
 * HTTP code and the API server's message (an admission policy's refusal says so there).
 */
public interface SyncApi extends TokenCache.Requester {
  String FIELD_MANAGER = "secrets-store-sync-controller";

  /** SecretProviderClass {@code namespace/name}, empty when it does not exist. */
  Optional<ClassRef> providerClass(String namespace, String name);

  /** The Secret {@code namespace/name} as the API server has it; empty when it does not exist. */
  Optional<Secret> secret(String namespace, String name);

  /** Server-side apply of {@code secret} with {@value #FIELD_MANAGER} and force; the server's answer. */
  Secret apply(Secret secret);

  /**
   * Writes {@code status} to the SecretSync's status subresource. Returns the object as the API server
   * answered a write locked to {@code sync}'s resourceVersion (so {@code sync} at its new version, with
   * {@code status}); empty where there is none (local mode; the object changed or deleted meanwhile).
   */
  Optional<SecretSync> writeStatus(SecretSync sync, SecretSyncStatus status);

  /** Adds or removes the {@value SyncAnnotations#RETAIN_FINALIZER} finalizer. */
  void retainFinalizer(SecretSync sync, boolean present);

  /** Removes the ownerReference to {@code sync} from its Secret, if both still exist. */
  void release(SecretSync sync);
}
