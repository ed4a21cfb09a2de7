package io.sscsi.testkit;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.concurrent.TimeoutException;

/** Teardown of fabric8's mock API server, shared by the tests that start one by hand. */
public final class MockApiServers {
  private MockApiServers() {}

  /**
   * Stops the mock. Its shutdown waits a fixed time for vert.x to close, while the event loop may still be
   * closing the watches the test's client just closed (the mock's watch listener blocks that loop until its
   * executor has ended). On a loaded machine that wait runs out and the server ends on its own afterwards: a
   * teardown timeout there says nothing about the test, so only that one failure is ignored.
   */
  public static void destroy(KubernetesMockServer server) {
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      if (!(e.getCause() instanceof TimeoutException)) {
        throw e;
      }
    }
  }
}
