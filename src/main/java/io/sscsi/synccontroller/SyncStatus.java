package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.sscsi.synccontroller.model.SecretSyncStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pure: the SecretSync's status after a sync, with SSC's condition types and reasons (HEAD):
 * {@code SecretCreated} turns True ({@code CreateSuccessful}) once the Secret was created (or found
 * ours), {@code SecretUpdated} is True ({@code SecretUpToDate}) after every later successful sync,
 * and a failure sets the first of the two that is not yet True to False with the failure's reason.
 * Beyond SSC, a failure's message carries its code and the time of the attempt, so the error is in
 * the object, not only in an event. {@code lastTransitionTime} moves only when a condition's status
 * or reason changes; {@code syncHash} and {@code lastSuccessfulSyncTime} only on success.
 */
public final class SyncStatus {
  public static final String CREATED = "SecretCreated";
  public static final String UPDATED = "SecretUpdated";
  public static final String CREATE_SUCCESSFUL = "CreateSuccessful";
  public static final String UP_TO_DATE = "SecretUpToDate";
  public static final String NO_UPDATES_YET = "NoUpdatesAttemptedYet";

  /** How a sync ended. */
  public sealed interface Outcome {}

  /** The Secret holds what the provider returned; {@code created} when this sync created it. */
  public record Synced(String hash, boolean created) implements Outcome {}

  public record Failed(SyncFailure failure) implements Outcome {}

  private SyncStatus() {}

  public static SecretSyncStatus next(SecretSyncStatus previous, Long generation, Outcome outcome, Instant now) {
    SecretSyncStatus before = previous == null ? new SecretSyncStatus(null, null, List.of()) : previous;
    String time = now.truncatedTo(ChronoUnit.SECONDS).toString();
    List<Condition> conditions = new ArrayList<>(before.conditions());
    boolean createdBefore = find(conditions, CREATED).map(c -> "True".equals(c.getStatus())).orElse(false);
    if (outcome instanceof Synced s) {
      if (!createdBefore) {
        put(conditions, CREATED, "True", CREATE_SUCCESSFUL, "the Secret was created", generation, time);
        put(conditions, UPDATED, "Unknown", NO_UPDATES_YET, "the Secret has not been updated yet", generation, time);
      } else {
        put(conditions, UPDATED, "True", UP_TO_DATE, "the Secret holds the provider's current content", generation,
            time);
      }
      return new SecretSyncStatus(s.hash(), time, conditions);
    }
    SyncFailure f = ((Failed) outcome).failure();
    String message = (f.code().isEmpty() ? "" : "code " + f.code() + ": ") + f.message() + " (attempt at " + time + ")";
    put(conditions, createdBefore ? UPDATED : CREATED, "False", f.reason(), message, generation, time);
    if (!createdBefore) {
      put(conditions, UPDATED, "Unknown", NO_UPDATES_YET, "the Secret has not been updated yet", generation, time);
    }
    return new SecretSyncStatus(before.syncHash(), before.lastSuccessfulSyncTime(), conditions);
  }

  /** Whether the last sync recorded in {@code status} failed. */
  public static boolean lastFailed(SecretSyncStatus status) {
    return status != null && status.conditions().stream().anyMatch(c -> "False".equals(c.getStatus()));
  }

  static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  private static void put(List<Condition> conditions, String type, String status, String reason, String message,
      Long generation, String time) {
    Optional<Condition> old = find(conditions, type);
    String transition = old.filter(c -> status.equals(c.getStatus()) && reason.equals(c.getReason()))
        .map(Condition::getLastTransitionTime).orElse(time);
    Condition c = new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
        .withObservedGeneration(generation).withLastTransitionTime(transition).build();
    old.ifPresentOrElse(o -> conditions.set(conditions.indexOf(o), c), () -> conditions.add(c));
  }
}
