package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Secret;
import io.sscsi.errors.DriverException;
import io.sscsi.fs.PayloadFile;
import io.sscsi.provider.ProviderCalls;
import io.sscsi.provider.ProviderMountRequest;
import io.sscsi.provider.ProviderMountResult;
import io.sscsi.provider.ProviderName;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One sync of one SecretSync, start to end, as a blocking call (its actor runs it on the blocking
 * dispatcher and is told the {@link Result}): find the class in the SecretSync's namespace (missing:
 * {@code SecretProviderClassMisconfigured}, and no provider call), get the tokens, call the provider
 * through the shared pool (deadline, backpressure, circuit), build the Secret, and write it by
 * server-side apply only when its hash changed, the last sync failed or the Secret drifted; a Secret
 * that exists without our label and owner is never taken over. Then the status is written. Not an
 * actor and holds no state between runs: what it needs to know of earlier runs comes in {@link Known}.
 */
public final class SyncRun {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SyncRun.class);

  /** What the object's actor knows from earlier runs: the last good hash, and what it last applied. */
  public record Known(Optional<String> hash, boolean lastFailed, Optional<Secret> applied) {
    public static Known nothing() {
      return new Known(Optional.empty(), false, Optional.empty());
    }
  }

  /**
   * @param status what was written to the status (null when writing it failed too)
   * @param applied what the Secret now holds by our hand, for drift checks
   * @param wrote whether the Secret was written
   * @param providerCalled whether the provider was called
   * @param written the SecretSync as the API server answered the status write (empty: no answer)
   * @param classUsed the class the run read (empty: it read none)
   */
  public record Result(SyncStatus.Outcome outcome, SecretSyncStatus status, Optional<Secret> applied, boolean wrote,
      boolean providerCalled, Optional<SecretSync> written, Optional<ClassRef> classUsed) {
    public boolean failed() {
      return outcome instanceof SyncStatus.Failed;
    }
  }

  private final SyncApi api;
  private final ProviderCalls providers;
  private final TokenCache tokens;
  private final String podName;
  private final String podUid;
  private final Duration callTimeout;
  private final Clock clock;

  public SyncRun(SyncApi api, ProviderCalls providers, TokenCache tokens, String podName, String podUid,
      Duration callTimeout, Clock clock) {
    this.api = api;
    this.providers = providers;
    this.tokens = tokens;
    this.podName = podName;
    this.podUid = podUid;
    this.callTimeout = callTimeout;
    this.clock = clock;
  }

  /** Runs the sync; never throws (a failure is the Result's outcome). */
  public Result run(SecretSync sync, Known known) {
    boolean[] called = {false};
    SyncStatus.Outcome outcome;
    Optional<Secret> applied = known.applied();
    boolean wrote = false;
    Optional<ClassRef> used = Optional.empty();
    try {
      ClassRef spc = providerClass(sync);
      used = Optional.of(spc);
      ProviderName provider = providerName(spc);
      Optional<String> tokensJson = tokens.tokensJson(sync.getMetadata().getNamespace(),
          sync.getSpec().serviceAccountName());
      ProviderMountRequest request = SyncMountRequest.build(spc, sync, podName, podUid, tokensJson);
      called[0] = true;
      Map<String, byte[]> files = mount(provider, request, Redaction.secretsOf(tokensJson, known.applied()));
      SecretContent.Desired desired = SecretContent.build(sync.getSpec().secretObject(), files);
      String hash = SyncHash.of(desired, spc.uid(), spc.generation(), sync.getMetadata().getUid(),
          sync.getMetadata().getGeneration(), sync.getSpec().forceSynchronization());
      Secret want = OwnedSecret.applied(sync, desired);
      boolean created = false;
      if (known.lastFailed() || known.hash().filter(hash::equals).isEmpty() || known.applied().isEmpty()) {
        if (known.applied().isEmpty()) {
          Optional<Secret> existing = api.secret(sync.getMetadata().getNamespace(), sync.getMetadata().getName());
          Optional<String> refused = OwnedSecret.takeoverRefused(existing.orElse(null), sync);
          if (refused.isPresent()) {
            throw new SyncFailure(SyncFailure.SYNC_ERROR, "", refused.get()).toException();
          }
          created = existing.isEmpty();
          if (existing.isPresent() && !OwnedSecret.drifted(existing.get(), want) && known.hash().filter(hash::equals)
              .isPresent() && !known.lastFailed()) {
            return finish(sync, new SyncStatus.Synced(hash, false), Optional.of(want), false, true, used);
          }
        }
        api.apply(want);
        wrote = true;
      }
      applied = Optional.of(want);
      outcome = new SyncStatus.Synced(hash, created);
    } catch (SyncFailure.Failed e) {
      outcome = new SyncStatus.Failed(e.failure());
    } catch (RuntimeException e) {
      outcome = new SyncStatus.Failed(SyncFailure.of(SyncFailure.SYNC_ERROR, e));
    }
    return finish(sync, outcome, applied, wrote, called[0], used);
  }

  private Result finish(SecretSync sync, SyncStatus.Outcome outcome, Optional<Secret> applied, boolean wrote,
      boolean called, Optional<ClassRef> used) {
    SecretSyncStatus status = SyncStatus.next(sync.getStatus(), sync.getMetadata().getGeneration(), outcome,
        clock.instant());
    Optional<SecretSync> written = Optional.empty();
    try {
      written = api.writeStatus(sync, status);
    } catch (RuntimeException e) {
      LOG.warn("SecretSync {}: the status could not be written: {}", SyncKey.of(sync),
          e instanceof SyncFailure.Failed f ? f.failure().message() : e.getClass().getSimpleName());
      status = null;
    }
    return new Result(outcome, status, applied, wrote, called, written, used);
  }

  private ClassRef providerClass(SecretSync sync) {
    String name = sync.getSpec().secretProviderClassName();
    String ns = sync.getMetadata().getNamespace();
    if (name == null || name.isBlank()) {
      throw new SyncFailure(SyncFailure.SPC_MISCONFIGURED, "", "spec.secretProviderClassName is empty").toException();
    }
    return api.providerClass(ns, name).orElseThrow(() -> new SyncFailure(SyncFailure.SPC_MISCONFIGURED, "",
        "SecretProviderClass " + name + " not found in namespace " + ns + " (it must be in the SecretSync's namespace)")
        .toException());
  }

  private static ProviderName providerName(ClassRef spc) {
    if (!ProviderName.valid(spc.provider()) || spc.provider().isEmpty()) {
      throw new SyncFailure(SyncFailure.SPC_MISCONFIGURED, "", "SecretProviderClass " + spc.name()
          + " names no valid provider (spec.provider must match ^[a-zA-Z0-9_-]{1,30}$)").toException();
    }
    return new ProviderName(spc.provider());
  }

  /** @param held the tokens sent and the values last applied: taken out of the provider's error message */
  private Map<String, byte[]> mount(ProviderName provider, ProviderMountRequest request, java.util.List<String> held) {
    Instant deadline = clock.instant().plus(callTimeout);
    ProviderMountResult result;
    try {
      result = providers.mount(provider, request, deadline)
          .get(callTimeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new SyncFailure(SyncFailure.PROVIDER_ERROR, code(e.getCause()),
          Redaction.redact(message(e.getCause()), held)).toException();
    } catch (TimeoutException e) {
      throw new SyncFailure(SyncFailure.PROVIDER_ERROR, "ProviderTimeout", "provider " + provider
          + " did not answer in time").toException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SyncFailure(SyncFailure.PROVIDER_ERROR, "Interrupted", "interrupted").toException();
    }
    Map<String, byte[]> files = new HashMap<>();
    for (PayloadFile f : result.payload().files()) {
      files.put(f.path(), f.contents());
    }
    return files;
  }

  private static String code(Throwable e) {
    return DriverException.unwrap(e).map(DriverException::errorType).orElse("Internal");
  }

  private static String message(Throwable e) {
    return DriverException.unwrap(e).map(Throwable::getMessage).orElse(e.getClass().getSimpleName());
  }
}
