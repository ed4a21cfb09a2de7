package io.sscsi.errors;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ForeignTextTest {

  @Test
  void shortTextIsKeptAsItIs() {
    assertEquals("AuthFailed", ForeignText.bounded("AuthFailed"));
    String exactly = "y".repeat(ForeignText.MAX_CHARS);
    assertSame(exactly, ForeignText.bounded(exactly));
    assertNull(ForeignText.bounded(null));
  }

  @Test
  void longTextKeepsOneKibAndSaysHowMuchWasCut() {
    String cut = ForeignText.bounded("x".repeat(100_000));
    assertEquals("x".repeat(1024) + "...[98976 more characters cut]", cut);
  }

  @Test
  void aSurrogatePairIsNeverSplit() {
    String text = "x".repeat(1023) + "\uD83D\uDD11" + "tail"; // a key emoji across the boundary
    String cut = ForeignText.bounded(text);
    assertEquals("x".repeat(1023) + "...[6 more characters cut]", cut);
  }

  @Test
  void providerTextEntersDriverExceptionsBounded() {
    String code = "E".repeat(50_000);
    DriverException reported = DriverException.providerReported("vault", code);
    assertTrue(reported.getMessage().length() < 1100, reported.getMessage().length() + " characters");
    assertTrue(reported.toStatus().getDescription().endsWith("...[" + (50_000 - 1024) + " more characters cut]"));
    DriverException failed = DriverException.fromProvider("vault",
        io.grpc.Status.PERMISSION_DENIED.withDescription("M".repeat(50_000)).asRuntimeException());
    assertTrue(failed.getMessage().length() < 1200, failed.getMessage().length() + " characters");
  }
}
