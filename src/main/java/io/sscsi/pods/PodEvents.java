package io.sscsi.pods;


/** Kubernetes Events on a pod, where operators look first. Implementations block. */
public interface PodEvents {
  /** No events (local mode). */
  PodEvents NONE = (pod, reason, message) -> {};

  /** A Warning event on {@code pod}; best effort, never throws. The message holds no secret. */
  void warning(PodRef pod, String reason, String message);
}
