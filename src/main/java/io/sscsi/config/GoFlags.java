package io.sscsi.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: reads a command line by the rules of Go's {@code flag} package, which upstream's driver
 * uses, and rewrites it into one {@code --name=value} per flag for picocli. The rules: a flag is
 * {@code -name} or {@code --name}, with {@code =value} attached or, for a flag that is not boolean,
 * the next argument as its value (whatever it looks like); a boolean flag alone means true and takes
 * a value only attached ({@code -flag=false}); a repeated flag keeps its last value; {@code --} ends
 * the flags and is dropped; the first argument that is not a flag ({@code -} alone included) ends
 * the flags, and it and everything after it are left over (upstream ignores them); {@code -h} or
 * {@code -help}, when no such flag is defined, asks for the usage. Errors carry Go's wording.
 */
public final class GoFlags {

  /** Whether a flag takes its value only attached (boolean) or may take the next argument. */
  public enum Kind { BOOL, VALUE }

  /**
   * @param args one {@code --name=value} per flag given, the last value of a repeated flag, or just
   *     {@code --help} when the usage was asked for
   * @param leftOver the arguments after the flags, which Go's flag package leaves to the program
   */
  public record Parsed(List<String> args, List<String> leftOver) {
    public boolean helpAsked() {
      return args.equals(List.of("--help"));
    }
  }

  /** A command line Go's flag package refuses (it exits 2); the message is Go's. */
  public static final class BadFlag extends IllegalArgumentException {
    BadFlag(String message) {
      super(message);
    }
  }

  private final Map<String, Kind> flags;

  /** @param flags every flag name, without dashes, and its kind */
  public GoFlags(Map<String, Kind> flags) {
    this.flags = Map.copyOf(flags);
  }

  public Parsed parse(List<String> given) {
    Map<String, String> values = new LinkedHashMap<>();
    int i = 0;
    while (i < given.size()) {
      String arg = given.get(i);
      if (arg.length() < 2 || arg.charAt(0) != '-') {
        break;
      }
      int dashes = 1;
      if (arg.charAt(1) == '-') {
        dashes = 2;
        if (arg.length() == 2) { // "--" ends the flags
          i++;
          break;
        }
      }
      String name = arg.substring(dashes);
      if (name.isEmpty() || name.charAt(0) == '-' || name.charAt(0) == '=') {
        throw new BadFlag("bad flag syntax: " + arg);
      }
      i++;
      String value = null;
      int eq = name.indexOf('=');
      if (eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Kind kind = flags.get(name);
      if (kind == null) {
        if (name.equals("help") || name.equals("h")) {
          return new Parsed(List.of("--help"), List.of());
        }
        throw new BadFlag("flag provided but not defined: -" + name);
      }
      if (kind == Kind.BOOL) {
        if (value == null) {
          value = "true";
        } else if (!GoBool.valid(value)) {
          throw new BadFlag("invalid boolean value \"" + value + "\" for -" + name + ": parse error");
        }
      } else if (value == null) {
        if (i >= given.size()) {
          throw new BadFlag("flag needs an argument: -" + name);
        }
        value = given.get(i++);
      }
      values.remove(name); // the last occurrence wins, as flag.Value.Set is simply called again
      values.put(name, value);
    }
    List<String> args = new ArrayList<>(values.size());
    values.forEach((name, value) -> args.add("--" + name + "=" + value));
    return new Parsed(List.copyOf(args), List.copyOf(given.subList(i, given.size())));
  }
}
