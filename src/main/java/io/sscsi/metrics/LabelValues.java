package io.sscsi.metrics;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The values one metric label may take, bounded: a label fed by text from outside the driver (a
 * provider's own error code as {@code error_type}, the provider name a SecretProviderClass or a pod's
 * volume attributes give) would otherwise grow {@code /metrics} without end, one series per distinct
 * value. A value is kept as it is (upstream's label semantics) when it is one of the {@code fixed}
 * values, or when it is well-formed ({@link #WELL_FORMED}: at most {@value #MAX_LENGTH} characters of
 * {@code [A-Za-z0-9_.-]}) and among the first {@code maxAdmitted} such values this process has seen;
 * any other value is counted as {@link #OTHER}. Values the driver vouches for ({@link #trusted}: the
 * provider of a call that succeeded) are always kept when well-formed and do not use up the
 * admissions. The decision is {@link #decide}, pure; an instance remembers what it admitted and is
 * safe to share between threads.
 */
final class LabelValues {
  /** The label value every value past the bound is counted under. */
  static final String OTHER = "other";
  static final int MAX_LENGTH = 64;
  static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9_.-]{0," + MAX_LENGTH + "}");

  enum Verdict {
    /** Already known (fixed, trusted or admitted before): kept. */
    KEEP,
    /** Well-formed and there is room: kept, and from now on known. */
    ADMIT,
    /** Malformed, too long, or no room left: counted as {@link #OTHER}. */
    OTHER
  }

  private final Set<String> fixed;
  private final int maxAdmitted;
  private final Set<String> known = new HashSet<>();
  private int admitted;

  LabelValues(Set<String> fixed, int maxAdmitted) {
    this.fixed = Set.copyOf(fixed);
    this.maxAdmitted = maxAdmitted;
  }

  /**
   * Pure: what becomes of {@code value}.
   *
   * @param known values kept before (fixed ones included)
   * @param admitted how many admissions were used so far
   */
  static Verdict decide(String value, Set<String> known, int admitted, int maxAdmitted) {
    if (known.contains(value)) {
      return Verdict.KEEP;
    }
    if (!WELL_FORMED.matcher(value).matches() || admitted >= maxAdmitted) {
      return Verdict.OTHER;
    }
    return Verdict.ADMIT;
  }

  /** The label value to record for {@code value} (null counts as empty). */
  synchronized String of(String value) {
    String v = value == null ? "" : value;
    if (fixed.contains(v)) {
      return v;
    }
    return switch (decide(v, known, admitted, maxAdmitted)) {
      case KEEP -> v;
      case ADMIT -> {
        known.add(v);
        admitted++;
        yield v;
      }
      case OTHER -> OTHER;
    };
  }

  /** A value the driver vouches for: kept when well-formed, without using up an admission. */
  synchronized String trusted(String value) {
    String v = value == null ? "" : value;
    if (fixed.contains(v) || known.contains(v)) {
      return v;
    }
    if (!WELL_FORMED.matcher(v).matches()) {
      return OTHER;
    }
    known.add(v);
    return v;
  }
}
