package io.sscsi.synccontroller;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * What every SecretSync actor shares: the sync itself, the API, where blocking work runs, the
 * timing rules, the global resync interval ({@code --rotation-poll-interval}, zero = off), the clock,
 * and {@code providerOf}: the provider a class {@code namespace/name} names, from the class watch's
 * store without a request ({@code ""} when not known), which is the sync slot lane the object waits in.
 */
public record SyncDeps(SyncRun run, SyncApi api, Executor blocking, SyncTiming timing, Duration globalInterval,
    Clock clock, Function<String, String> providerOf) {

  /** Every object in one lane. */
  public SyncDeps(SyncRun run, SyncApi api, Executor blocking, SyncTiming timing, Duration globalInterval,
      Clock clock) {
    this(run, api, blocking, timing, globalInterval, clock, key -> "");
  }
}
