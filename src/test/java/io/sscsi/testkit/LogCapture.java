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
  private final List<Level> levels = new CopyOnWriteArrayList<>();
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
    synchronized (this) {
      lines.add(b.toString());
      levels.add(event.getLevel());
    }
  }

  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** The lines logged at {@code level} exactly. */
  public synchronized List<String> lines(Level level) {
    List<String> at = new java.util.ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (levels.get(i).equals(level)) {
        at.add(lines.get(i));
      }
    }
    return at;
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
