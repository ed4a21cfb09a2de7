package io.sscsi.synccontroller.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * {@code SecretSync.status}, as SSC defines it.
 *
 * @param syncHash opaque: changes when what was written changes (never a plain digest of a value)
 * @param lastSuccessfulSyncTime RFC 3339
 * @param conditions {@code SecretCreated} and {@code SecretUpdated}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SecretSyncStatus(String syncHash, String lastSuccessfulSyncTime, List<Condition> conditions) {
  public SecretSyncStatus {
    conditions = conditions == null ? List.of() : List.copyOf(conditions);
  }
}
