package io.sscsi.synccontroller;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * What every SecretSync actor shares: the sync itself, the API, where blocking work runs, the
 * timing rules, the global resync interval ({@code --rotation-poll-interval}, zero = off) and the clock.
 */
public record SyncDeps(SyncRun run, SyncApi api, Executor blocking, SyncTiming timing, Duration globalInterval,
    Clock clock) {}
