package io.sscsi.volume;

import java.time.Duration;
import java.time.Instant;

/**
 * Pure: whether a mounted volume asks its provider again. Three triggers reach a mounted volume:
 * kubelet's republish (CSIDriver {@code requiresRepublish}, fresh tokens each time), the volume's own
 * jittered timer, and a change of its SecretProviderClass or of its nodePublishSecretRef Secret. Unlike upstream, which measures the
 * interval from the last content change (and so calls the provider on every republish once content
 * is stable), the interval runs from the last successful provider call: at most one call per
 * interval per volume.
 */
public final class RefreshPolicy {
  private RefreshPolicy() {}

  public enum Trigger { REPUBLISH, TIMER, CLASS_CHANGED, SECRET_CHANGED }

  public enum Decision {
    /** Ask the provider now. */
    REFRESH,
    /** Rotation is off: a mounted volume is never refreshed. */
    SKIP_ROTATION_OFF,
    /** The last successful call is more recent than the interval. */
    SKIP_TOO_SOON,
    /** A timer refresh would need the pod's tokens, and the last ones have expired. */
    SKIP_TOKENS_EXPIRED,
    /**
     * A timer refresh would need the pod's tokens, and their value cannot be read, so whether they
     * still hold cannot be told: not sent on the driver's own initiative (kubelet's republish still
     * passes them on as given, as upstream).
     */
    SKIP_TOKENS_UNREADABLE
  }

  /**
   * @param lastSuccess when the provider last answered successfully for this volume
   * @param tokens what is known of the expiry of the service-account tokens kubelet last gave
   */
  public static Decision decide(Trigger trigger, boolean rotationEnabled, Duration interval, Instant now,
      Instant lastSuccess, TokenExpiry tokens) {
    if (!rotationEnabled) {
      return Decision.SKIP_ROTATION_OFF;
    }
    if (trigger != Trigger.REPUBLISH) {
      if (tokens instanceof TokenExpiry.Unreadable) {
        return Decision.SKIP_TOKENS_UNREADABLE;
      }
      if (tokens instanceof TokenExpiry.At at && !now.isBefore(at.instant())) {
        return Decision.SKIP_TOKENS_EXPIRED;
      }
    }
    if (trigger == Trigger.CLASS_CHANGED || trigger == Trigger.SECRET_CHANGED) {
      return Decision.REFRESH;
    }
    return now.isBefore(lastSuccess.plus(interval)) ? Decision.SKIP_TOO_SOON : Decision.REFRESH;
  }

  /** The timer's next delay: the interval with up to ±10% jitter, so volumes do not refresh in lockstep. */
  public static Duration jittered(Duration interval, double random01) {
    double factor = 0.9 + 0.2 * random01;
    return Duration.ofMillis(Math.max(1, (long) (interval.toMillis() * factor)));
  }
}
