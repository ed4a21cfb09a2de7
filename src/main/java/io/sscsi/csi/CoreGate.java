package io.sscsi.csi;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The line between the two halves of the driver's start. The CSI socket is served first, with
 * Identity and the Node calls that need no volume (kubelet's registration needs only those); the
 * core (actor system, volume actors, providers, metrics, admin endpoint, API watches, restart
 * recovery) starts when it is {@link #wanted()}: after the first GetPluginInfo is answered on the
 * published socket, or when the first volume call arrives, or when the driver decides not to wait
 * any longer. Volume calls that arrive earlier wait for {@link #volumes()}, they do not fail.
 */
public final class CoreGate {
  private final CompletableFuture<Void> wanted = new CompletableFuture<>();
  private final CompletableFuture<VolumeCalls> up = new CompletableFuture<>();
  private final AtomicBoolean published = new AtomicBoolean();
  private final CompletableFuture<Void> volumeCallAnswered = new CompletableFuture<>();
  private final AtomicBoolean volumeCallArrived = new AtomicBoolean();

  /** From now on, an answered GetPluginInfo is a caller's (the socket file exists). */
  public void socketPublished() {
    published.set(true);
  }

  /** Identity answered a GetPluginInfo: the registrar has what it waits for. */
  void identityAnswered() {
    if (published.get()) {
      wanted.complete(null);
    }
  }

  /** Start the core now (no caller came in time, or the core is wanted at once). */
  public void startNow() {
    wanted.complete(null);
  }

  public CompletionStage<Void> wanted() {
    return wanted;
  }

  /** The volume actors, once the core is up; asking for them also starts the core. */
  CompletionStage<VolumeCalls> volumes() {
    volumeCallArrived.set(true);
    wanted.complete(null);
    return up;
  }

  /** A publish or unpublish was answered, whatever the outcome. */
  void volumeCallAnswered() {
    volumeCallAnswered.complete(null);
  }

  /**
   * Completes once the first publish or unpublish was answered: the parts of the core that no volume
   * call needs (the metrics and admin endpoints) start then, so at a fifth of a CPU they do not delay
   * the first volume kubelet waits for.
   */
  public CompletionStage<Void> firstVolumeCallAnswered() {
    return volumeCallAnswered;
  }

  /**
   * Whether a publish or unpublish has arrived and none has been answered yet: the first volume call
   * is in flight, so what waits for {@link #firstVolumeCallAnswered()} should not start beside it.
   */
  public boolean firstVolumeCallInFlight() {
    return volumeCallArrived.get() && !volumeCallAnswered.isDone();
  }

  public void coreUp(VolumeCalls calls) {
    up.complete(calls);
  }

  /**
   * What Probe reports: true while the core starts and once it is up (upstream answers ready from
   * the first call, and the livenessprobe sidecar must not fail a JVM that is still warming up),
   * false once the core failed to start (every volume call would fail: a restart may help).
   */
  public boolean healthy() {
    return !up.isCompletedExceptionally();
  }

  /** The core could not start: volume calls fail, Identity keeps answering. */
  public void coreFailed(String why) {
    up.completeExceptionally(new DriverException(FailureKind.INTERNAL, "the driver's core did not start: " + why));
  }
}
