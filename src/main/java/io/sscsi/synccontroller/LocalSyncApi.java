package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.local.LocalProviderClassSource;
import io.sscsi.local.Yaml;
import io.sscsi.spc.ProviderClass;
import io.sscsi.synccontroller.model.SecretSync;
import io.sscsi.synccontroller.model.SecretSyncStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;
import org.slf4j.LoggerFactory;

/**
 * {@link SyncApi} without an API server, for {@code sync-controller --local-secretsyncs}: classes
 * come from the driver's local class source ({@link LocalProviderClassSource}, re-read when the
 * files change), and each Secret the controller applies is written as one YAML file,
 * {@code <out>/<namespace>/<name>.yaml} (mode 0600, replaced atomically), or printed on stdout as a
 * YAML document when no directory is given. A Secret file found at start is read back, so the
 * take-over rule holds as in a cluster: a file without the managed label and owner is left alone.
 * Status writes become one log line per sync (reason and message of the condition, never a value);
 * finalizers and ownerReferences have no garbage collector to talk to here, so they are no-ops; no
 * token is ever requested (local mode runs with no audience, so {@code serviceAccount.tokens} is
 * left out of the provider's attributes, as the driver's local mode does without tokens).
 */
public final class LocalSyncApi implements SyncApi {
  private static final Logger LOG = LoggerFactory.getLogger(LocalSyncApi.class);
  private static final KubernetesSerialization KUBE = new KubernetesSerialization();
  /** Plain YAML as kubectl prints it: quotes only where YAML needs them. */
  private static final YAMLMapper OUT = YAMLMapper.builder().enable(YAMLWriteFeature.MINIMIZE_QUOTES).build();

  private final LocalProviderClassSource classes;
  private final Optional<Path> out;
  private final PrintStream stdout;
  /** What was applied in this run, by namespace/name: the "API server's" copy. */
  private final Map<SyncKey, Secret> secrets = new ConcurrentHashMap<>();
  /** The last condition logged per object, so an unchanged status is not logged again. */
  private final Map<SyncKey, String> lastStatus = new ConcurrentHashMap<>();

  public LocalSyncApi(LocalProviderClassSource classes, Optional<Path> out, PrintStream stdout) {
    this.classes = classes;
    this.out = out;
    this.stdout = stdout;
  }

  @Override
  public Optional<ClassRef> providerClass(String namespace, String name) {
    ProviderClass spc;
    try {
      spc = classes.get(namespace, name);
    } catch (DriverException e) {
      if (e.kind() == FailureKind.SPC_NOT_FOUND) {
        return Optional.empty();
      }
      throw new SyncFailure(SyncFailure.SPC_MISCONFIGURED, "", e.getMessage()).toException();
    }
    return Optional.of(new ClassRef(namespace, name, spc.provider(), spc.parameters(), "local:" + namespace + "/" + name,
        null));
  }

  @Override
  public Optional<Secret> secret(String namespace, String name) {
    SyncKey key = new SyncKey(namespace, name);
    Secret held = secrets.get(key);
    if (held != null || out.isEmpty()) {
      return Optional.ofNullable(held);
    }
    Path file = file(key);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      String json = Yaml.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8)).toString();
      return Optional.of(KUBE.unmarshal(json, Secret.class));
    } catch (IOException | RuntimeException e) {
      throw new SyncFailure(SyncFailure.SYNC_ERROR, "", "the Secret file " + file + " cannot be read ("
          + e.getClass().getSimpleName() + "); it is left alone").toException();
    }
  }

  @Override
  public Secret apply(Secret secret) {
    SyncKey key = SyncKey.of(secret);
    String yaml = OUT.writeValueAsString(OUT.readTree(KUBE.asJson(secret)));
    if (out.isEmpty()) {
      synchronized (stdout) {
        stdout.print(yaml.startsWith("---") ? yaml : "---\n" + yaml);
        stdout.flush();
      }
    } else {
      write(file(key), yaml);
    }
    secrets.put(key, secret);
    return secret;
  }

  @Override
  public Optional<SecretSync> writeStatus(SecretSync sync, SecretSyncStatus status) {
    status.conditions().stream().max(Comparator.comparing(c -> c.getLastTransitionTime() == null ? ""
        : c.getLastTransitionTime())).ifPresent(c -> {
          String line = c.getType() + " " + c.getStatus() + " " + c.getReason() + ": " + c.getMessage();
          if (!line.equals(lastStatus.put(SyncKey.of(sync), line))) {
            LOG.info("SecretSync {}: {}", SyncKey.of(sync), line);
          }
        });
    return Optional.empty();
  }

  /** The condition of {@code sync} as last logged; empty before its first sync. */
  Optional<String> lastStatus(SyncKey key) {
    return Optional.ofNullable(lastStatus.get(key));
  }

  @Override
  public void retainFinalizer(SecretSync sync, boolean present) {
    // no API server: nothing deletes the Secret file, so there is nothing to hold back
  }

  @Override
  public void release(SecretSync sync) {
    // as above: the Secret file stays when its SecretSync file goes
  }

  @Override
  public TokenCache.Token request(String namespace, String serviceAccount, String audience, long seconds) {
    throw new SyncFailure(SyncFailure.SYNC_ERROR, "", "local mode has no API server to request tokens from")
        .toException();
  }

  private Path file(SyncKey key) {
    return out.orElseThrow().resolve(key.namespace()).resolve(key.name() + ".yaml");
  }

  private static void write(Path file, String yaml) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
        try {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new SyncFailure(SyncFailure.PATCH_ERROR, "", "cannot write the Secret file " + file + ": "
          + e.getClass().getSimpleName()).toException();
    }
  }
}
