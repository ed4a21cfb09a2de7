package io.sscsi.provider;

import java.time.Duration;
import java.time.Instant;

/**
 * Pure: a provider's circuit breaker, owned by its {@link ProviderPool}. Closed, it admits every
 * call and counts consecutive breaking failures (UNAVAILABLE or DEADLINE_EXCEEDED: a provider that
 * cannot be reached or does not answer); {@code maxFailures} in a row open it. Open, it refuses
 * calls until {@code resetTimeout} has passed; then the next call is admitted as the one trial
 * (others are refused while it runs): its success closes the circuit, a breaking failure opens it
 * again. Any other outcome (a success or the provider's own error) resets the count.
 */
final class ProviderCircuit {

  enum Admit {
    /** Closed: call. */
    CALL,
    /** The open period is over: this call is the trial. */
    TRIAL,
    /** Open, or a trial is running: fail at once. */
    REFUSE
  }

  /** What an outcome did to the circuit, for the pool to log or act on. */
  enum Change { NONE, OPENED, CLOSED }

  private final int maxFailures;
  private final Duration resetTimeout;
  private int failures;
  private Instant openUntil;
  private boolean trialRunning;

  ProviderCircuit(int maxFailures, Duration resetTimeout) {
    this.maxFailures = maxFailures;
    this.resetTimeout = resetTimeout;
  }

  Admit admit(Instant now) {
    if (openUntil == null) {
      return Admit.CALL;
    }
    if (trialRunning || now.isBefore(openUntil)) {
      return Admit.REFUSE;
    }
    trialRunning = true;
    return Admit.TRIAL;
  }

  /** Records the outcome of an admitted call; {@code breaking} for UNAVAILABLE or DEADLINE_EXCEEDED. */
  Change record(boolean breaking, boolean wasTrial, Instant now) {
    if (wasTrial) {
      trialRunning = false;
    }
    if (!breaking) {
      failures = 0;
      if (openUntil != null && wasTrial) {
        openUntil = null;
        return Change.CLOSED;
      }
      return Change.NONE;
    }
    if (wasTrial) {
      openUntil = now.plus(resetTimeout);
      return Change.NONE;
    }
    if (openUntil == null && ++failures >= maxFailures) {
      failures = 0;
      openUntil = now.plus(resetTimeout);
      return Change.OPENED;
    }
    return Change.NONE;
  }

  /** The trial call was not made after all (refused by a full queue, or its worker failed). */
  void trialAbandoned() {
    trialRunning = false;
  }

  boolean isOpen() {
    return openUntil != null;
  }
}
