package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The held list's rules, one case each: order, superseding, expiry and the bound. */
class HeldCallsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Path A = Path.of("/pods/a/volumes/kubernetes.io~csi/v/mount");
  private static final Path B = Path.of("/pods/b/volumes/kubernetes.io~csi/v/mount");

  private static VolumeRouter.Unpublish unpublish(Path target, int deadlineSeconds) {
    return new VolumeRouter.Unpublish(target, T0.plusSeconds(deadlineSeconds), null);
  }

  private static VolumeRouter.Publish publish(Path target, int deadlineSeconds) {
    return new VolumeRouter.Publish(VolumeFixture.request(target), T0.plusSeconds(deadlineSeconds), null);
  }

  @Test
  void callsAreHeldAndDrainedInArrivalOrder() {
    HeldCalls held = new HeldCalls(10);
    List<VolumeRouter.VolumeCall> calls = List.of(publish(A, 60), unpublish(B, 60), unpublish(A, 60), publish(B, 60));
    calls.forEach(c -> assertEquals(new HeldCalls.Held(Optional.empty()), held.hold(c)));
    assertEquals(calls, held.drain());
    assertEquals(0, held.size());
  }

  @Test
  void aRetryOfTheSameKindForTheSameTargetSupersedesTheTargetsLastHeldCall() {
    HeldCalls held = new HeldCalls(10);
    VolumeRouter.Unpublish first = unpublish(A, 60);
    VolumeRouter.Unpublish other = unpublish(B, 60);
    VolumeRouter.Unpublish retry = unpublish(A, 120);
    held.hold(first);
    held.hold(other);
    assertEquals(new HeldCalls.Held(Optional.of(first)), held.hold(retry));
    assertEquals(List.of(other, retry), held.drain());
  }

  @Test
  void aCallOfAnotherKindInBetweenKeepsBothCallsOfTheTarget() {
    HeldCalls held = new HeldCalls(10);
    VolumeRouter.Unpublish first = unpublish(A, 60);
    VolumeRouter.Publish publish = publish(A, 60);
    VolumeRouter.Unpublish second = unpublish(A, 60);
    held.hold(first);
    held.hold(publish);
    assertEquals(new HeldCalls.Held(Optional.empty()), held.hold(second), "unpublish, publish, unpublish: all kept");
    assertEquals(List.of(first, publish, second), held.drain());
  }

  @Test
  void aCallLeavesAtItsDeadlineNotBefore() {
    HeldCalls held = new HeldCalls(10);
    VolumeRouter.Unpublish call = unpublish(A, 60);
    held.hold(call);
    assertFalse(held.expire(call, T0.plusSeconds(59)), "before its deadline");
    assertTrue(held.expire(call, T0.plusSeconds(60)), "at its deadline");
    assertFalse(held.expire(call, T0.plusSeconds(61)), "gone already");
    assertEquals(0, held.size());
  }

  @Test
  void beyondTheBoundANewCallIsRefusedButARetryStillReplacesItsCall() {
    HeldCalls held = new HeldCalls(2);
    held.hold(unpublish(A, 60));
    held.hold(unpublish(B, 60));
    assertEquals(new HeldCalls.Full(2), held.hold(publish(Path.of("/pods/c/volumes/kubernetes.io~csi/v/mount"), 60)));
    VolumeRouter.Unpublish retry = unpublish(A, 120);
    assertEquals(HeldCalls.Held.class, held.hold(retry).getClass(), "the retry takes its own call's place");
    assertEquals(2, held.size());
  }
}
