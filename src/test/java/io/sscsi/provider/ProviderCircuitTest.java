package io.sscsi.provider;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.provider.ProviderCircuit.Admit;
import io.sscsi.provider.ProviderCircuit.Change;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ProviderCircuitTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  final ProviderCircuit circuit = new ProviderCircuit(2, Duration.ofSeconds(10));

  @Test
  void consecutiveBreakingFailuresOpenItAndOthersResetTheCount() {
    assertEquals(Admit.CALL, circuit.admit(T0));
    assertEquals(Change.NONE, circuit.record(true, false, T0));
    assertEquals(Change.NONE, circuit.record(false, false, T0), "a provider error or success resets the count");
    assertEquals(Change.NONE, circuit.record(true, false, T0));
    assertEquals(Change.OPENED, circuit.record(true, false, T0));
    assertTrue(circuit.isOpen());
    assertEquals(Admit.REFUSE, circuit.admit(T0.plusSeconds(9)));
  }

  @Test
  void afterTheResetTimeoutOneTrialDecides() {
    circuit.record(true, false, T0);
    circuit.record(true, false, T0);
    assertEquals(Admit.TRIAL, circuit.admit(T0.plusSeconds(10)));
    assertEquals(Admit.REFUSE, circuit.admit(T0.plusSeconds(10)), "one trial at a time");
    assertEquals(Change.NONE, circuit.record(true, true, T0.plusSeconds(11)), "a failed trial opens it again");
    assertEquals(Admit.REFUSE, circuit.admit(T0.plusSeconds(20)));
    assertEquals(Admit.TRIAL, circuit.admit(T0.plusSeconds(21)));
    assertEquals(Change.CLOSED, circuit.record(false, true, T0.plusSeconds(21)));
    assertFalse(circuit.isOpen());
    assertEquals(Admit.CALL, circuit.admit(T0.plusSeconds(21)));
  }

  @Test
  void callsAdmittedBeforeItOpenedDoNotCountTwice() {
    circuit.record(true, false, T0);
    assertEquals(Change.OPENED, circuit.record(true, false, T0));
    assertEquals(Change.NONE, circuit.record(true, false, T0), "a late failure of an earlier call");
    assertEquals(Admit.TRIAL, circuit.admit(T0.plusSeconds(10)), "the open period is not extended by it");
  }
}
