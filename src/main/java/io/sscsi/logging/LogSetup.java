package io.sscsi.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Locale;
import java.util.Map;

/**
 * Logback's whole configuration, in code: read by logback itself at the first logger (through
 * {@code META-INF/services}), so no XML is parsed at start, and applied again by the driver once its
 * flags are known. Text (the default) or one JSON object per line, to stderr; control characters in
 * messages and exception messages are escaped in text ({@link LogText}; JSON escapes them by
 * itself). The level comes from {@code SSCSI_LOG_LEVEL} (system property, then environment; INFO
 * when unset), the format from {@code SSCSI_LOG_FORMAT} ({@code TEXT} or {@code JSON}). The loggers
 * in {@link #PINS} keep their level whatever the root level is: at DEBUG or TRACE they would print
 * wire payloads (gRPC frames, HTTP bodies), and payloads carry secrets and tokens.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  public static final Map<String, Level> PINS = Map.of(
      "io.grpc", Level.WARN,
      "io.grpc.netty.shaded.io.netty.bootstrap", Level.ERROR, // "Unknown channel option SO_KEEPALIVE" on domain sockets
      "io.netty", Level.WARN,
      "io.fabric8", Level.WARN,
      "io.fabric8.kubernetes.client.informers.impl.cache.Reflector", Level.OFF, // KubeWatch logs each failure once
      "okhttp3", Level.WARN,
      "jdk.internal.httpclient", Level.WARN,
      "com.typesafe.sslconfig", Level.WARN,
      "org.apache.pekko", Level.INFO,
      "kamon.Init", Level.WARN); // its INFO line is a coloured banner
  private static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX} %-5level %logger{36} - %msg%n%ex";

  public enum Format { TEXT, JSON }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    apply(context, Format.valueOf(setting("SSCSI_LOG_FORMAT", "TEXT").toUpperCase(Locale.ROOT)),
        Level.toLevel(setting("SSCSI_LOG_LEVEL", "INFO"), Level.INFO));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Replaces whatever configuration {@code context} has. */
  public static void apply(LoggerContext context, Format format, Level level) {
    context.reset();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName(format.name());
    stderr.setTarget("System.err");
    stderr.setEncoder(format == Format.JSON ? json(context) : text(context));
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level);
    root.addAppender(stderr);
    PINS.forEach((name, pinned) -> context.getLogger(name).setLevel(pinned));
  }

  private static Encoder<ILoggingEvent> text(LoggerContext context) {
    PatternLayout layout = new PatternLayout();
    layout.getInstanceConverterMap().put("msg", EscapedMessageConverter::new);
    layout.getInstanceConverterMap().put("ex", EscapedThrowableConverter::new);
    layout.setContext(context);
    layout.setPattern(TEXT_PATTERN);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    return encoder;
  }

  private static Encoder<ILoggingEvent> json(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithArguments(false);
    encoder.setWithMessage(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    return encoder;
  }

  private static String setting(String name, String otherwise) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      value = System.getenv(name);
    }
    return value == null || value.isBlank() ? otherwise : value.trim();
  }
}
