package io.sscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which command lines start the driver (parsed with the driver's subcommand alone). */
class MainRoutingTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "driver --endpoint=unix:///csi/csi.sock|true",
      "--endpoint=unix:///csi/csi.sock|true",
      "-endpoint=unix:///csi/csi.sock|true",
      "-v=2|true",
      "--help|false",
      "-h|false",
      "--version|false",
      "demo|false",
      "provider file --root x|false",
      "''|false"})
  void theDriverRunsForItsSubcommandAndForALeadingFlag(String line, boolean driver) {
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");
    assertEquals(driver, Main.runsDriver(args), line);
  }
}
