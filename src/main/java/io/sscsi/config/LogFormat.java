package io.sscsi.config;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import com.typesafe.config.Config;
import java.net.URL;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code --log-format-json} and the log level before the driver starts: logback.xml picks
 * its appender (TEXT or JSON, one object per line) and root level from the properties
 * {@code SSCSI_LOG_FORMAT} and {@code SSCSI_LOG_LEVEL}, and is re-read. The loggers that print wire
 * payloads stay pinned whatever the level (sscsi-log-pins.xml).
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
    System.setProperty("SSCSI_LOG_FORMAT", json ? "JSON" : "TEXT");
    if (!level.isEmpty()) {
      System.setProperty("SSCSI_LOG_LEVEL", level);
    }
    URL xml = LogFormat.class.getResource("/logback.xml");
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context) || xml == null) {
      return;
    }
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(xml);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure logging: " + e.getMessage(), e);
    }
  }
}
