package io.sscsi.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** Captures every log event (message, arguments and stack traces) at TRACE while open. */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Level previous = root.getLevel();

  public static LogCapture open() {
    LogCapture capture = new LogCapture();
    capture.setContext(capture.root.getLoggerContext());
    capture.start();
    capture.root.addAppender(capture);
    capture.root.setLevel(Level.TRACE);
    return capture;
  }

  @Override
  protected void append(ILoggingEvent event) {
    StringBuilder b = new StringBuilder(event.getLoggerName()).append(' ').append(event.getFormattedMessage());
    if (event.getThrowableProxy() != null) {
      b.append('\n').append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
    }
    event.getMDCPropertyMap().forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
    lines.add(b.toString());
  }

  public List<String> lines() {
    return List.copyOf(lines);
  }

  public String all() {
    return String.join("\n", lines);
  }

  @Override
  public void close() {
    root.detachAppender(this);
    root.setLevel(previous);
    stop();
  }
}
