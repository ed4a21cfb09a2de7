package io.sscsi.provider;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/** How a volume fetches its content: one Mount call to its provider, answered by the call's deadline. */
@FunctionalInterface
public interface ProviderCalls {

  /**
   * Completes with the checked result, or exceptionally with a DriverException (PROVIDER_NOT_FOUND,
   * the provider's own failure, PROVIDER_OVERLOADED, PROVIDER_TIMEOUT, ...) no later than about
   * {@code deadline}. It completes on the blocking dispatcher, where the payload was checked, never
   * on an actor's thread: blocking work (the write) may continue on it directly.
   */
  CompletableFuture<ProviderMountResult> mount(ProviderName provider, ProviderMountRequest request, Instant deadline);
}
