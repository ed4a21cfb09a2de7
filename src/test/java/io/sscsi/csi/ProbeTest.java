package io.sscsi.csi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.csi.v1.ProbeRequest;
import org.junit.jupiter.api.Test;

/** Probe reports the core: ready while it starts and once it is up, not ready once it failed to start. */
class ProbeTest {
  private final CoreGate gate = new CoreGate();
  private final IdentityService identity = new IdentityService("secrets-store.csi.k8s.io", "test", gate::healthy, gate);

  private boolean ready() {
    return identity.probe(ProbeRequest.getDefaultInstance()).toCompletableFuture().join().getReady().getValue();
  }

  @Test
  void readyWhileTheCoreStartsAsUpstreamAnswersFromTheFirstCall() {
    assertTrue(ready());
    gate.startNow();
    assertTrue(ready());
  }

  @Test
  void notReadyOnceTheCoreFailedToStart() {
    gate.startNow();
    gate.coreFailed("the admin address is taken");
    assertFalse(ready());
  }
}
