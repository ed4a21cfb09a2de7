package io.sscsi.provider;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/** How a volume fetches its content: one Mount call to its provider, answered by the call's deadline. */
@FunctionalInterface
public interface ProviderCalls {

  /**
   * Completes with the checked result, or exceptionally with a DriverException (PROVIDER_NOT_FOUND,
   * the provider's own failure, PROVIDER_OVERLOADED, PROVIDER_TIMEOUT, ...) no later than about
   * {@code deadline}. It completes on an actor's thread: continue on an explicit executor.
   */
  CompletableFuture<ProviderMountResult> mount(ProviderName provider, ProviderMountRequest request, Instant deadline);
}
