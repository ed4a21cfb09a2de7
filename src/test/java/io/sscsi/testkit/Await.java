package io.sscsi.testkit;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * The one way tests wait for something another thread or process does: poll until the condition
 * holds, then go on and assert it. The time limit only ends a wait that would never end (a generous
 * bound, not a speed claim); polls start at 10 ms and back off to 200 ms. An {@link AssertionError}
 * thrown by a poll (e.g. "the process died") ends the wait at once; other exceptions propagate.
 * The pause between polls is the tests' one {@code Thread.sleep}: it spaces the polls, it never lets
 * time pass in place of a condition (benchmarks pace through {@code bench.Pacing}).
 */
public final class Await {

  /** How long a wait may last by default: long enough for a loaded 2-core machine. */
  public static final Duration LIMIT = Duration.ofSeconds(30);

  /** A condition or a value to poll; may throw (a failed poll that should end the wait throws AssertionError). */
  @FunctionalInterface
  public interface Poll<T> {
    T get() throws Exception;
  }

  private Await() {}

  /** Waits until {@code condition} holds, within {@link #LIMIT}. */
  public static void until(String what, Poll<Boolean> condition) {
    until(what, LIMIT, condition);
  }

  /** Waits until {@code condition} holds; fails with {@code what} after {@code limit}. */
  public static void until(String what, Duration limit, Poll<Boolean> condition) {
    value(what, limit, condition, Boolean.TRUE::equals);
  }

  /** Polls {@code value} until {@code ok} accepts it, within {@link #LIMIT}; returns the accepted value. */
  public static <T> T value(String what, Poll<T> value, Predicate<? super T> ok) {
    return value(what, LIMIT, value, ok);
  }

  /**
   * Polls {@code value} until {@code ok} accepts it and returns that value; fails with {@code what}
   * and the last value seen after {@code limit}.
   */
  public static <T> T value(String what, Duration limit, Poll<T> value, Predicate<? super T> ok) {
    long deadline = System.nanoTime() + limit.toNanos();
    long pause = 10;
    while (true) {
      T seen;
      try {
        seen = value.get();
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("polling for \"" + what + "\" failed", e);
      }
      if (ok.test(seen)) {
        return seen;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + limit + " waiting until " + what + "; last seen: " + seen);
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what, e);
      }
      pause = Math.min(pause * 2, 200);
    }
  }
}
