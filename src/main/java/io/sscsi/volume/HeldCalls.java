package io.sscsi.volume;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The publishes and unpublishes the {@link VolumeRouter} holds until restart recovery has finished, in
 * arrival order, and the rules that keep them bounded while recovery cannot finish (the API server down
 * for hours): a held call that a newer call of the same kind for the same target supersedes is taken
 * out (kubelet's retry replaced it; kubelet sends one call per volume at a time, and retries only once
 * the previous one ended), a call whose deadline has passed is taken out ({@link #expire}), and beyond
 * {@code bound} calls a new one is refused. No call is answered here: the router answers the calls
 * taken out. Plain state owned by the router's recovering behaviour; not thread-safe.
 */
final class HeldCalls {

  /** What became of a call offered to {@link #hold}. */
  sealed interface Admission {}

  /** Held; {@code superseded}, if any, was taken out for it and is to be answered. */
  record Held(Optional<VolumeRouter.VolumeCall> superseded) implements Admission {}

  /** Not held: {@code bound} calls are held already. */
  record Full(int bound) implements Admission {}

  private final int bound;
  private final List<VolumeRouter.VolumeCall> calls = new ArrayList<>();

  HeldCalls(int bound) {
    if (bound < 1) {
      throw new IllegalArgumentException("at least one call must be holdable, not " + bound);
    }
    this.bound = bound;
  }

  /**
   * Holds {@code call} at the end. The last held call for the same target, when it is of the same kind,
   * is superseded: taken out, so that the target's calls keep their order (nothing for that target sat
   * between them). Else, when {@code bound} calls are held, {@code call} is refused.
   */
  Admission hold(VolumeRouter.VolumeCall call) {
    Optional<VolumeRouter.VolumeCall> superseded = lastFor(call).filter(last -> last.getClass() == call.getClass());
    superseded.ifPresent(calls::remove);
    if (superseded.isEmpty() && calls.size() >= bound) {
      return new Full(bound);
    }
    calls.add(call);
    return new Held(superseded);
  }

  /** Takes {@code call} out if its deadline has passed at {@code now} and it is still held. */
  boolean expire(VolumeRouter.VolumeCall call, Instant now) {
    return !now.isBefore(call.deadline()) && calls.remove(call);
  }

  /** Every held call, in arrival order; none is held afterwards. */
  List<VolumeRouter.VolumeCall> drain() {
    List<VolumeRouter.VolumeCall> all = List.copyOf(calls);
    calls.clear();
    return all;
  }

  int size() {
    return calls.size();
  }

  private Optional<VolumeRouter.VolumeCall> lastFor(VolumeRouter.VolumeCall call) {
    for (int i = calls.size() - 1; i >= 0; i--) {
      if (calls.get(i).target().equals(call.target())) {
        return Optional.of(calls.get(i));
      }
    }
    return Optional.empty();
  }
}
