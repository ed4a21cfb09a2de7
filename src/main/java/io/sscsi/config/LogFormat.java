package io.sscsi.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.typesafe.config.Config;
import io.sscsi.logging.LogSetup;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code --log-format-json} and the log level ({@code -v}) before the driver starts, through
 * {@link LogSetup}. Without either flag the configuration logback made at start stays.
 */
public final class LogFormat {
  private LogFormat() {}

  /** klog verbosity to a logback level. */
  public static String levelFor(int verbosity) {
    return verbosity >= 5 ? "TRACE" : verbosity >= 2 ? "DEBUG" : "INFO";
  }

  public static void apply(Config config) {
    boolean json = config.getBoolean("sscsi.driver.log-format-json");
    String level = config.getString("sscsi.driver.log-level");
    if (!json && level.isEmpty()) {
      return;
    }
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      Level root = level.isEmpty() ? context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel() : Level.toLevel(level);
      LogSetup.apply(context, json ? LogSetup.Format.JSON : LogSetup.Format.TEXT, root);
    }
  }
}
