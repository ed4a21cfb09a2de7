package io.sscsi.cli;

import io.sscsi.config.GoFlags;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * picocli's model of {@code sscsi driver}, built from {@link DriverFlags}' table: for the usage
 * ({@code --help}) and the {@code sscsi} command's list of subcommands. The driver's own start never
 * builds it (it reads its command line from the table with {@link GoFlags}). Each option reads its
 * value with the table's reader and stores it by flag name.
 */
final class DriverUsage {
  private DriverUsage() {}

  /** Adds {@code -h/--help} and every flag of the table to {@code spec}; parsed values go into {@code values}. */
  static void addOptions(CommandSpec spec, Map<String, Object> values) {
    spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("show this help").build());
    for (DriverFlags.Flag flag : DriverFlags.ALL) {
      OptionSpec.Builder option = OptionSpec.builder("--" + flag.name())
          .description(flag.help())
          .hidden(flag.hidden())
          .paramLabel(flag.label() != null ? flag.label() : "<" + camelCase(flag.name()) + ">")
          .converters(flag::read)
          .setter(new ISetter() {
            @Override
            public <T> T set(T value) {
              if (value == null) { // picocli resets every option before it parses
                values.remove(flag.name());
              } else {
                values.put(flag.name(), value);
              }
              return null;
            }
          });
      if (flag.kind() == GoFlags.Kind.BOOL) {
        option.type(Boolean.class).arity("0..1").fallbackValue("true");
      } else {
        option.type(Object.class).arity("1");
      }
      spec.addOption(option.build());
    }
  }

  /** {@code enable-secret-rotation} as {@code enableSecretRotation}. */
  static String camelCase(String name) {
    StringBuilder s = new StringBuilder();
    boolean upper = false;
    for (char c : name.toCharArray()) {
      if (c == '-' || c == '_') {
        upper = true;
      } else {
        s.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return s.toString();
  }
}
