package io.sscsi.synccontroller;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sscsi.synccontroller.model.SecretSync;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode's stand-in for the SecretSync and SecretProviderClass watches: each {@link #scan} reads
 * the SecretSync directory ({@link LocalSecretSyncs}) and tells the {@link SecretSyncGroup} what
 * changed since the last scan, with the watches' messages: a SecretSync added or edited
 * ({@code SyncChanged}), removed ({@code SyncDeleted}), or the class one names changed (its
 * provider, parameters, or whether it exists: {@code ClassChanged}). Problems are logged once each
 * time the files change. Not thread-safe: one caller (the local controller's scan thread). Blocking.
 */
final class LocalSyncFeed {
  private static final Logger LOG = LoggerFactory.getLogger(LocalSyncFeed.class);
  private static final KubernetesSerialization KUBE = new KubernetesSerialization();

  private final Path dir;
  private final SyncApi api;
  private final ActorRef<SecretSyncGroup.Command> group;
  private Map<SyncKey, String> syncs = Map.of();
  private Map<SyncKey, String> classes = Map.of();
  private List<String> problems = List.of();

  LocalSyncFeed(Path dir, SyncApi api, ActorRef<SecretSyncGroup.Command> group) {
    this.dir = dir;
    this.api = api;
    this.group = group;
  }

  /** Reads the directory and tells the group the differences; the SecretSyncs now known. */
  Set<SyncKey> scan() {
    LocalSecretSyncs.Scan scan = LocalSecretSyncs.scan(dir);
    if (!scan.problems().equals(problems)) {
      scan.problems().forEach(p -> LOG.warn("SecretSync manifests in {}: {}", dir, p));
      problems = scan.problems();
    }
    Map<SyncKey, String> classesNow = new HashMap<>();
    for (SecretSync s : scan.syncs().values()) {
      SyncKey c = new SyncKey(s.getMetadata().getNamespace(), s.getSpec().secretProviderClassName());
      classesNow.computeIfAbsent(c, this::classState);
    }
    Map<SyncKey, String> syncsNow = new HashMap<>();
    scan.syncs().forEach((key, s) -> {
      String json = KUBE.asJson(s);
      syncsNow.put(key, json);
      if (!json.equals(syncs.get(key))) {
        group.tell(new SecretSyncGroup.SyncChanged(s));
      }
    });
    for (SyncKey gone : new HashSet<>(syncs.keySet())) {
      if (!syncsNow.containsKey(gone)) {
        group.tell(new SecretSyncGroup.SyncDeleted(gone));
      }
    }
    classesNow.forEach((key, state) -> {
      String before = classes.get(key);
      if (before != null && !before.equals(state)) {
        group.tell(new SecretSyncGroup.ClassChanged(key.namespace(), key.name(), Optional.empty()));
      }
    });
    if (!syncsNow.keySet().equals(syncs.keySet())) {
      LOG.info("{} SecretSync(s) in {}: {}", syncsNow.size(), dir, new java.util.TreeSet<>(syncsNow.keySet()));
    }
    syncs = syncsNow;
    classes = classesNow;
    return syncsNow.keySet();
  }

  /** Whether the last scan found manifests it could not use (each was logged). */
  boolean problems() {
    return !problems.isEmpty();
  }

  /** The class as a sync would find it: its provider and parameters, missing, or why it cannot be used. */
  private String classState(SyncKey key) {
    try {
      Optional<ClassRef> c = api.providerClass(key.namespace(), key.name());
      return c.map(r -> "provider=" + r.provider() + " parameters=" + new java.util.TreeMap<>(r.parameters()))
          .orElse("missing");
    } catch (SyncFailure.Failed e) {
      return "invalid: " + e.failure().message();
    }
  }
}
