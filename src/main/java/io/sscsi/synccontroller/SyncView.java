package io.sscsi.synccontroller;

import java.time.Instant;
import java.util.List;

/**
 * One SecretSync as {@code GET /secretsyncs} shows it: never a value, only key names.
 *
 * @param state idle, waiting (for a free sync slot), syncing, releasing
 * @param keys the Secret's data keys as last written
 * @param failures failed syncs in a row
 * @param lastError the last failure's reason, code and message; null after a success
 */
public record SyncView(String namespace, String name, String secretProviderClass, String state, List<String> keys,
    String syncHash, Instant lastAttempt, Instant lastSuccess, Instant nextSync, int failures, LastError lastError,
    long syncs, long writes, long restores) {

  public record LastError(String reason, String code, String message) {}
}
