package io.sscsi.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Go's float arithmetic and formatting, as upstream's histogram boundaries need them. */
class GoFloatsTest {

  /**
   * Issue 13 item 11: upstream's le values are client_golang's unrounded ExponentialBucketsRange(0.1, 2, 11),
   * the last one short of 2 by Go's accumulated rounding.
   */
  @Test
  void upstreamsBucketBoundariesAsGoPrintsThem() {
    List<String> le = Arrays.stream(GoFloats.exponentialBucketsRange(0.1, 2, 11)).mapToObj(GoFloats::format).toList();
    assertEquals(List.of("0.1", "0.13492828476735633", "0.18205642030260802", "0.24564560522315804",
        "0.3314454017339986", "0.4472135954999578", "0.6034176336545162", "0.8141810630738084",
        "1.0985605433061172", "1.4822688982138947", "1.9999999999999991"), le);
  }

  /** The growth factor 20^(1/10) is Exp(0.1 * Log(20)); amd64 CPUs with and without FMA agree on it. */
  @Test
  void amd64ExpWithAndWithoutFmaAgreeHere() {
    double arg = 0.1 * GoFloats.log(20);
    assertEquals(StrictMath.log(20), GoFloats.log(20), 0.0, "Go's Log is fdlibm's");
    assertEquals(GoFloats.exp(arg, false), GoFloats.exp(arg, true), 0.0);
    assertEquals(1.3492828476735632, GoFloats.exp(arg), 0.0);
    assertEquals(1.3492828476735634, StrictMath.exp(arg), 0.0, "fdlibm's exp differs in the last bit: why Go's is ported");
  }

  /** Newer Go raises to small integer powers by repeated squaring without Frexp; same results here. */
  @Test
  void newerGosIntegerPowerPathGivesTheSameBuckets() {
    double growth = GoFloats.pow(20, 0.1);
    for (int i = 0; i <= 10; i++) {
      double r = 1.0;
      int n = i;
      while (n > 1) {
        double tmp = growth;
        int c = 1;
        while (c <= n / 2) {
          tmp *= tmp;
          c *= 2;
        }
        n -= c;
        r *= tmp;
      }
      for (int k = 0; k < n; k++) {
        r *= growth;
      }
      assertEquals(r, GoFloats.pow(growth, i), 0.0, "power " + i);
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"0.1, 0.1", "2.0, 2", "1.0, 1", "0, 0", "-3.0, -3", "1.5, 1.5", "100000.0, 100000",
      "1000000.0, 1e+06", "123456789.0, 1.23456789e+08", "0.0001, 0.0001", "0.00001, 1e-05",
      "0.000123, 0.000123", "1.25e-7, 1.25e-07", "Infinity, +Inf", "-Infinity, -Inf", "NaN, NaN",
      "4194304.0, 4.194304e+06", "0.005, 0.005"})
  void formatsLikeStrconvG(double value, String expected) {
    assertEquals(expected, GoFloats.format(value));
  }
}
