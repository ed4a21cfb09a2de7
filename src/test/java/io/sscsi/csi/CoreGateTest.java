package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The gate's view of the first volume call, which decides when the parts no volume call needs (the
 * endpoints, the API server's watches) start: {@code core-start-wait} after the router is up starts
 * them only when no first call is in flight; one that is in flight is waited for, its answer starts them.
 */
class CoreGateTest {
  @Test
  void theFirstVolumeCallIsInFlightFromItsArrivalUntilItsAnswer() {
    CoreGate gate = new CoreGate();
    assertFalse(gate.firstVolumeCallInFlight(), "no call yet: the timer may start them");
    gate.volumes();
    assertTrue(gate.wanted().toCompletableFuture().isDone(), "a volume call starts the core");
    assertTrue(gate.firstVolumeCallInFlight(), "arrived, not answered: the timer leaves them to its answer");
    assertFalse(gate.firstVolumeCallAnswered().toCompletableFuture().isDone());
    gate.volumeCallAnswered();
    assertTrue(gate.firstVolumeCallAnswered().toCompletableFuture().isDone());
    assertFalse(gate.firstVolumeCallInFlight(), "answered: nothing left to wait for");
    gate.volumes();
    assertFalse(gate.firstVolumeCallInFlight(), "later calls are not the first");
  }
}
