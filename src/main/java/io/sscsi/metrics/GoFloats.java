package io.sscsi.metrics;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Pure: the floating-point arithmetic and formatting behind upstream's histogram boundaries, so
 * ours carry the same {@code le} labels. Upstream builds them with client_golang's
 * {@code ExponentialBucketsRange(0.1, 2, 11)}, which calls Go's {@code math.Pow}; on amd64 that is
 * Go's {@code Frexp}-based power loop over the assembly {@code Log} (the fdlibm algorithm) and the
 * assembly {@code Exp} (a Taylor series after argument reduction, fused multiply-adds on CPUs with
 * FMA). The exposition prints them with {@code strconv.FormatFloat(f, 'g', -1, 64)}. Each step is
 * ported here, operation for operation, so the results are bit-identical; no Java library computes
 * Go's rounding.
 */
final class GoFloats {
  private GoFloats() {}

  /** client_golang's {@code ExponentialBucketsRange}: {@code count} boundaries from min to max. */
  static double[] exponentialBucketsRange(double min, double max, int count) {
    if (min <= 0 || max <= min || count < 2) {
      throw new IllegalArgumentException("need 0 < min < max and count >= 2");
    }
    double growth = pow(max / min, 1.0 / (count - 1));
    double[] buckets = new double[count];
    for (int i = 1; i <= count; i++) {
      buckets[i - 1] = min * pow(growth, i - 1);
    }
    return buckets;
  }

  /** Go's {@code math.Pow} for finite {@code x > 0} and finite {@code y}. */
  static double pow(double x, double y) {
    if (!(x > 0) || Double.isInfinite(x) || !Double.isFinite(y)) {
      throw new IllegalArgumentException("only finite x > 0 and finite y");
    }
    if (y == 0 || x == 1) {
      return 1;
    }
    if (y == 1) {
      return x;
    }
    if (y == 0.5) {
      return Math.sqrt(x);
    }
    if (y == -0.5) {
      return 1 / Math.sqrt(x);
    }
    double abs = Math.abs(y);
    double yi = Math.floor(abs);
    double yf = abs - yi;
    double a1 = 1.0;
    long ae = 0;
    if (yf != 0) {
      if (yf > 0.5) {
        yf--;
        yi++;
      }
      a1 = exp(yf * log(x));
    }
    int xe = Math.getExponent(x) + 1; // Frexp: x = x1 * 2^xe with x1 in [0.5, 1)
    double x1 = Math.scalb(x, -xe);
    for (long i = (long) yi; i != 0; i >>= 1) {
      if (xe < -(1 << 12) || (1 << 12) < xe) {
        ae += xe;
        break;
      }
      if ((i & 1) == 1) {
        a1 *= x1;
        ae += xe;
      }
      x1 *= x1;
      xe <<= 1;
      if (x1 < .5) {
        x1 += x1;
        xe--;
      }
    }
    if (y < 0) {
      a1 = 1 / a1;
      ae = -ae;
    }
    return Math.scalb(a1, (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, ae)));
  }

  private static final double LN2_HI = 6.93147180369123816490e-01;
  private static final double LN2_LO = 1.90821492927058770002e-10;
  private static final double L1 = 6.666666666666735130e-01;
  private static final double L2 = 3.999999999940941908e-01;
  private static final double L3 = 2.857142874366239149e-01;
  private static final double L4 = 2.222219843214978396e-01;
  private static final double L5 = 1.818357216161805012e-01;
  private static final double L6 = 1.531383769920937332e-01;
  private static final double L7 = 1.479819860511658591e-01;

  /** Go's {@code math.Log} on amd64 (the same steps as its portable fdlibm code), finite x > 0. */
  static double log(double x) {
    long bits = Double.doubleToRawLongBits(x);
    double f1 = Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FE0000000000000L);
    double k = (int) ((bits >>> 52) & 0x7FF) - 0x3FE;
    if (f1 < 7.07106781186547524401e-01) { // sqrt(2)/2
      k -= 1;
      f1 *= 2;
    }
    double f = f1 - 1;
    double s = f / (2 + f);
    double s2 = s * s;
    double s4 = s2 * s2;
    double t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    double t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    double r = t1 + t2;
    double hfsq = 0.5 * f * f;
    return k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
  }

  private static final double LOG2E = 1.4426950408889634073599246810018920;
  private static final double LN2U = 0.69314718055966295651160180568695068359375;
  private static final double LN2L = 0.28235290563031577122588448175013436025525412068e-12;
  /** Taylor coefficients 1/8! ... 1/3!, then 1/2 and 1, in the order the assembly applies them. */
  private static final double[] TAYLOR = {
      2.4801587301587301587e-5, 1.9841269841269841270e-4, 1.3888888888888888889e-3, 8.3333333333333333333e-3,
      4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5, 1.0};

  /**
   * Go's {@code math.Exp} on amd64 for arguments of moderate size: reduce by ln 2, scale by 1/16,
   * evaluate the series, square back four times. {@code fma} picks the path of CPUs with FMA.
   */
  static double exp(double x, boolean fma) {
    if (Math.abs(x) > 700) {
      throw new IllegalArgumentException("only moderate arguments");
    }
    int k = (int) Math.rint(LOG2E * x); // CVTSD2SL rounds to nearest
    double kd = k;
    double r;
    if (fma) {
      r = Math.fma(-kd, LN2U, x);
      r = Math.fma(-kd, LN2L, r);
    } else {
      r = x - LN2U * kd;
      r = r - LN2L * kd;
    }
    r *= 0.0625;
    double p = TAYLOR[0];
    for (int i = 1; i < TAYLOR.length; i++) {
      p = fma ? Math.fma(p, r, TAYLOR[i]) : p * r + TAYLOR[i];
    }
    r = r * p; // e^(x/16) - 1
    for (int i = 0; i < 3; i++) {
      r = r * (r + 2.0); // (1+r)^2 - 1
    }
    r = fma ? Math.fma(r, r + 2.0, 1.0) : r * (r + 2.0) + 1.0;
    return r * Math.scalb(1.0, k);
  }

  static double exp(double x) {
    return exp(x, true);
  }

  /**
   * Go's {@code strconv.FormatFloat(f, 'g', -1, 64)} as client_golang's text exposition writes
   * floats: the shortest decimal that reads back as {@code f}, in exponent form ({@code 1e+06})
   * only when the decimal exponent is below -4 or at least 6.
   */
  static String format(double f) {
    return FORMATTED.computeIfAbsent(f, GoFloats::formatExactly);
  }

  /** Boundaries repeat on every scrape and finding the shortest form is costly, so each is found once. */
  private static final java.util.Map<Double, String> FORMATTED = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A sample value for the text format, quickly: Prometheus reads any float syntax there, so only
   * labels ({@code le}) need {@link #format}'s exact form. Whole numbers print without a fraction.
   */
  static String formatValue(double f) {
    if (Double.isNaN(f) || Double.isInfinite(f)) {
      return Double.isNaN(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf";
    }
    if (f == Math.rint(f) && Math.abs(f) < 1e15) {
      return Long.toString((long) f);
    }
    return Double.toString(f);
  }

  private static String formatExactly(double f) {
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (Double.isInfinite(f)) {
      return f > 0 ? "+Inf" : "-Inf";
    }
    if (f == 0) {
      return "0";
    }
    BigDecimal shortest = null;
    for (int digits = 1; digits <= 17; digits++) {
      BigDecimal candidate = new BigDecimal(f).round(new MathContext(digits, RoundingMode.HALF_EVEN));
      if (candidate.doubleValue() == f) {
        shortest = candidate.stripTrailingZeros();
        break;
      }
    }
    String sign = shortest.signum() < 0 ? "-" : "";
    BigDecimal abs = shortest.abs();
    String digits = abs.unscaledValue().toString();
    int exponent = digits.length() - 1 - abs.scale(); // decimal exponent of the first digit
    if (exponent < -4 || exponent >= 6) {
      String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      String e = String.valueOf(Math.abs(exponent));
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }
    return sign + abs.toPlainString();
  }
}
