package io.sscsi.provider;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.errors.ForeignText;
import io.sscsi.spc.ProviderClass;
import java.util.regex.Pattern;

/**
 * A provider's name, checked once against upstream's rule ({@code ^[a-zA-Z0-9_-]{0,30}$}). The name
 * becomes a socket file name ({@code <dir>/<name>.sock}), so nothing else may pass; holding a
 * ProviderName means the check is done.
 */
public record ProviderName(String value) {
  private static final Pattern RULE = Pattern.compile("^[a-zA-Z0-9_-]{0,30}$");

  public ProviderName {
    if (!valid(value)) {
      throw new IllegalArgumentException("invalid provider name \"" + value + "\": it must match " + RULE.pattern());
    }
  }

  /** Upstream's provider-name rule. */
  public static boolean valid(String name) {
    return name != null && RULE.matcher(name).matches();
  }

  /**
   * The provider a SecretProviderClass names.
   *
   * @throws DriverException SPC_INVALID when {@code spec.provider} breaks the rule
   */
  public static ProviderName of(ProviderClass spc) {
    if (!valid(spc.provider())) {
      throw new DriverException(FailureKind.SPC_INVALID, "invalid provider \"" + ForeignText.bounded(spc.provider())
          + "\" in SecretProviderClass " + spc.namespace() + "/" + spc.name() + ": it must match " + RULE.pattern());
    }
    return new ProviderName(spc.provider());
  }

  /** The socket file name in a provider directory. */
  String socketFileName() {
    return value + ".sock";
  }

  @Override
  public String toString() {
    return value;
  }
}
