package io.sscsi.config;

import java.math.BigInteger;
import picocli.CommandLine.ITypeConverter;

/**
 * Pure: Go's integer flag syntax. Go's {@code flag.IntVar} and {@code Uint64Var} parse with base 0
 * ({@code 4194304}, {@code 0x400000}, {@code 0o20000000}, {@code 0b1}, a leading {@code 0} for octal,
 * {@code _} between digits); klog's {@code -v} parses base 10 into 32 bits. The nested classes are
 * the picocli converters for each.
 */
public final class GoInt {
  private GoInt() {}

  /** {@code flag.IntVar}: {@code strconv.ParseInt(s, 0, 64)}, kept to Java's int range. */
  public static final class Base0 implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      long v = parse(value, true, true, 64);
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("'" + value + "' is out of range");
      }
      return (int) v;
    }
  }

  /** {@code flag.Uint64Var}: {@code strconv.ParseUint(s, 0, 64)}, kept to Java's long range. */
  public static final class Unsigned implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return parse(value, true, false, 63);
    }
  }

  /** klog's {@code Level}: {@code strconv.ParseInt(s, 10, 32)}. */
  public static final class Level implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return (int) parse(value, false, true, 32);
    }
  }

  /**
   * @param base0 Go's base 0 (prefixes and underscores) rather than base 10
   * @param bits the width of the result, sign bit included for signed values
   */
  static long parse(String text, boolean base0, boolean signed, int bits) {
    String s = text;
    boolean negative = false;
    if (signed && !s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.isEmpty()) {
      throw syntax(text);
    }
    int base = 10;
    String digits = s;
    boolean prefixed = false;
    if (base0 && s.charAt(0) == '0') {
      char p = s.length() >= 3 ? Character.toLowerCase(s.charAt(1)) : ' ';
      if (p == 'b' || p == 'o' || p == 'x') {
        base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
        digits = s.substring(2);
        prefixed = true;
      } else {
        base = 8;
        digits = s.substring(1);
      }
    }
    if (digits.indexOf('_') >= 0 && !(base0 && underscoresSeparateDigits(s, prefixed))) {
      throw syntax(text);
    }
    String plain = digits.replace("_", "");
    if (plain.isEmpty() && base != 8) {
      throw syntax(text);
    }
    BigInteger value = BigInteger.ZERO;
    for (char c : plain.toCharArray()) {
      int d = Character.digit(c, base);
      if (d < 0) {
        throw syntax(text);
      }
      value = value.multiply(BigInteger.valueOf(base)).add(BigInteger.valueOf(d));
    }
    if (negative) {
      value = value.negate();
    }
    BigInteger max = BigInteger.ONE.shiftLeft(signed ? bits - 1 : bits).subtract(BigInteger.ONE);
    BigInteger min = signed ? BigInteger.ONE.shiftLeft(bits - 1).negate() : BigInteger.ZERO;
    if (value.compareTo(max) > 0 || value.compareTo(min) < 0) {
      throw new IllegalArgumentException("'" + text + "' is out of range");
    }
    return value.longValueExact();
  }

  /** Go's rule: each {@code _} sits between digits, or right after a base prefix. */
  private static boolean underscoresSeparateDigits(String s, boolean prefixed) {
    char saw = prefixed ? '0' : '^';
    for (int i = prefixed ? 2 : 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.digit(c, 16) >= 0) {
        saw = '0';
      } else if (c == '_') {
        if (saw != '0') {
          return false;
        }
        saw = '_';
      } else {
        if (saw == '_') {
          return false;
        }
        saw = '!';
      }
    }
    return saw != '_';
  }

  private static IllegalArgumentException syntax(String text) {
    return new IllegalArgumentException("'" + text + "' is not an integer");
  }
}
