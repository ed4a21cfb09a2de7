package io.sscsi.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * A pod author names a class, a provider answers an error: neither may start a line of its own in
 * the driver's log (a forged line with a fake timestamp). Both log formats, messages and exceptions.
 */
class LogForgingTest {
  static final String FORGED = "app\n1999-01-01T00:00:00.000Z INFO  io.sscsi.DriverProcess - all is well\r";
  final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
  final Logger log = LoggerFactory.getLogger("io.sscsi.forging");

  @AfterEach
  void restore() {
    new LogSetup().configure(context);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "plain|plain",
      "a\\nb|a\\\\nb",
      "tab\there|tab\\there",
      "be\u0007ll|be\\u0007ll",
      "nel\u0085x|nel\\u0085x",
      "ls\u2028x|ls\\u2028x",
      "ünïcödé|ünïcödé"})
  void escapesControlCharactersAndTheBackslash(String in, String out) {
    assertEquals(out, LogText.escape(in));
  }

  @Test
  void newlinesInMessagesAndArgumentsStayOnOneTextLine() {
    List<String> lines = capture(LogSetup.Format.TEXT, () -> {
      log.info("class {} not found", FORGED);
      log.warn("refresh failed", new IllegalStateException("provider said: " + FORGED));
    });
    assertEquals(1, lines.stream().filter(l -> l.contains("not found")).count(), String.join("\n", lines));
    assertTrue(lines.stream().noneMatch(l -> l.startsWith("1999")), String.join("\n", lines));
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("java.lang.IllegalStateException: provider said: app\\n1999")),
        String.join("\n", lines));
    assertTrue(lines.stream().filter(l -> !l.isEmpty()).allMatch(l -> l.startsWith("20") && !l.startsWith("1999")
        || l.startsWith("\tat ") || l.startsWith("java.lang.") || l.startsWith("\t... ")), String.join("\n", lines));
  }

  @Test
  void theJsonFormatKeepsEachEventOnOneLine() {
    List<String> lines = capture(LogSetup.Format.JSON, () -> log.info("class {} not found", FORGED));
    assertEquals(1, lines.size(), String.join("\n", lines));
    assertEquals("class " + FORGED + " not found",
        JsonMapper.builder().build().readTree(lines.get(0)).get("formattedMessage").asString());
  }

  private List<String> capture(LogSetup.Format format, Runnable logging) {
    PrintStream original = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      LogSetup.apply(context, format, Level.INFO);
      logging.run();
    } finally {
      System.setErr(original);
    }
    return out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
  }
}
