package io.sscsi.volume;

import java.time.Instant;

/**
 * What the driver can tell about the service-account tokens kubelet last passed for a volume: there
 * are none, they expire at an instant, or their value cannot be read (not a JSON object of audience
 * to {@code {token, expirationTimestamp}}, or an entry with neither a JWT {@code exp} nor a readable
 * {@code expirationTimestamp}), so the driver cannot judge whether they still hold.
 */
public sealed interface TokenExpiry {
  TokenExpiry NONE = new None();
  TokenExpiry UNREADABLE = new Unreadable();

  /** No tokens in the request. */
  record None() implements TokenExpiry {}

  /** The earliest expiry among the tokens. */
  record At(Instant instant) implements TokenExpiry {}

  /** A tokens value the driver cannot read. */
  record Unreadable() implements TokenExpiry {}
}
