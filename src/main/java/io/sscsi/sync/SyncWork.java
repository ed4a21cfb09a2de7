package io.sscsi.sync;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.fs.MountedFiles;
import io.sscsi.k8s.DesiredSecret;
import io.sscsi.k8s.KubeEventRecorder;
import io.sscsi.k8s.KnownSecret;
import io.sscsi.k8s.KubeSecretWriter;
import io.sscsi.k8s.SecretOwner;
import io.sscsi.k8s.SecretProjection;
import io.sscsi.k8s.SecretWrite;
import io.sscsi.spc.ProviderClass;
import io.sscsi.spc.ProviderClass.SecretObject;
import io.sscsi.pods.PodRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One sync round of one Secret, blocking (file reads and API calls): resolve the owner uid of each
 * mounting pod (its SecretProviderClassPodStatus, known without a request when this driver wrote it),
 * build the Secret from the files of the most recently published mount, and hand both, with the
 * Secret as the previous round left it, to {@link KubeSecretWriter}. Stateless: the
 * {@link SecretSyncActor} owns what it is given and what it returns. Only the files the class
 * names are read. A Secret that cannot be built, or a write that failed, is reported as a Warning
 * event {@code FailedToCreateSecret} on the pod whose files were used, when the caller asks for it
 * (once per change, not per retry).
 */
final class SyncWork {

  /** A pod's volume of one class, as one Secret sees it. */
  record MountKey(String namespace, String podName, String podUid, String className) {
    static MountKey of(PodRef pod, ProviderClass spc) {
      return new MountKey(pod.namespace(), pod.name(), pod.uid(), spc.name());
    }
  }

  /** A synced Secret. */
  record SecretKey(String namespace, String name) {
    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }

  /**
   * A pod mounting the Secret.
   *
   * @param ownerUid its SecretProviderClassPodStatus uid, once known
   */
  record Mount(MountKey key, PodRef pod, ProviderClass spc, SecretObject object, Path target, String ownerUid) {
    String ownerName() {
      return pod.podStatusName(spc.name());
    }

    Mount withOwnerUid(String uid) {
      return new Mount(key, pod, spc, object, target, uid);
    }
  }

  /**
   * @param mounts the mounting pods in publish order; the last one's files are the content
   * @param gone owners to take off
   * @param reportContentError record an event when the Secret cannot be built or is refused
   * @param reportApiFailure record an event when the API fails
   * @param known the Secret as the last round left it on the server, if any round saw it
   */
  record Input(SecretKey key, List<Mount> mounts, Set<SecretOwner> gone, boolean reportContentError,
      boolean reportApiFailure, Optional<KnownSecret> known) {}

  /**
   * @param outcome what the writer did; null when it was not called or failed
   * @param resolved owner uids learnt this round
   * @param unresolved mounting pods whose status object does not exist (yet)
   * @param contentError why the Secret could not be built or was refused; null if it was not
   * @param apiFailure a failure worth retrying; null if none
   * @param known the Secret as the server now has it, for the next round (the input's when this
   *     round learnt nothing new)
   */
  record Result(KubeSecretWriter.Outcome outcome, Map<MountKey, String> resolved, int unresolved,
      String contentError, DriverException apiFailure, Optional<KnownSecret> known) {
    static Result failed(DriverException e, Optional<KnownSecret> known) {
      return new Result(null, Map.of(), 0, null, e, known);
    }
  }

  private final KubeSecretWriter writer;
  private final KubeEventRecorder events;
  private final MountedFiles files;

  SyncWork(KubeSecretWriter writer, KubeEventRecorder events, MountedFiles files) {
    this.writer = Objects.requireNonNull(writer, "writer");
    this.events = Objects.requireNonNull(events, "events");
    this.files = Objects.requireNonNull(files, "files");
  }

  Result run(Input in) {
    Mount source = in.mounts().isEmpty() ? null : in.mounts().get(in.mounts().size() - 1);
    if (!SecretProjection.validSecretName(in.key().name())) {
      // Nothing to ask the API server about: report why the entry is unusable, once.
      String why = null;
      if (source != null) {
        try {
          build(source);
        } catch (DriverException e) {
          why = e.getMessage();
        }
        if (why != null && in.reportContentError()) {
          events.warnPod(source.pod(), KubeEventRecorder.FAILED_TO_CREATE_SECRET, why);
        }
      }
      return new Result(null, Map.of(), 0, why, null, in.known());
    }
    Map<MountKey, String> resolved = new HashMap<>();
    Set<SecretOwner> owners = new HashSet<>();
    int unresolved = 0;
    try {
      for (Mount m : in.mounts()) {
        String uid = m.ownerUid() != null ? m.ownerUid()
            : writer.podStatusUid(m.pod().namespace(), m.ownerName()).orElse(null);
        if (uid == null) {
          unresolved++;
        } else {
          resolved.put(m.key(), uid);
          owners.add(new SecretOwner(m.ownerName(), uid));
        }
      }
    } catch (DriverException e) {
      reportApi(in, source, e);
      return Result.failed(e, in.known());
    }

    DesiredSecret desired = null;
    String contentError = null;
    if (source != null) {
      try {
        desired = build(source);
      } catch (DriverException e) {
        contentError = e.getMessage();
      }
    }
    KubeSecretWriter.Outcome outcome = null;
    Optional<KnownSecret> known = in.known();
    DriverException apiFailure = null;
    try {
      KubeSecretWriter.Synced synced = writer.sync(new SecretWrite(in.key().namespace(), in.key().name(),
          Optional.ofNullable(desired), owners, in.gone(), unresolved > 0), in.known());
      outcome = synced.outcome();
      known = synced.known();
    } catch (DriverException e) {
      if (retryable(e)) {
        apiFailure = e;
        reportApi(in, source, e);
      } else {
        contentError = e.getMessage();
      }
    }
    if (contentError != null && in.reportContentError() && source != null) {
      events.warnPod(source.pod(), KubeEventRecorder.FAILED_TO_CREATE_SECRET, contentError);
    }
    return new Result(outcome, resolved, unresolved, contentError, apiFailure, known);
  }

  static boolean retryable(DriverException e) {
    return e.kind() == FailureKind.API_UNAVAILABLE || e.kind() == FailureKind.API_FORBIDDEN;
  }

  private void reportApi(Input in, Mount source, DriverException e) {
    if (in.reportApiFailure() && source != null) {
      events.warnPod(source.pod(), KubeEventRecorder.FAILED_TO_CREATE_SECRET,
          "failed to sync Secret " + in.key() + ": " + e.getMessage());
    }
  }

  /** Reads the files the entry names from the mount and builds the Secret. */
  private DesiredSecret build(Mount source) {
    Map<String, Path> mounted = files.list(source.target());
    Map<String, byte[]> contents = new HashMap<>();
    for (String objectName : SecretProjection.objectNames(source.object())) {
      Path file = mounted.get(objectName);
      if (file == null) {
        continue; // the projection names the missing file
      }
      try {
        if (Files.size(file) > SecretProjection.MAX_SECRET_BYTES) {
          throw cannotBuild(source, "the file matching objectName \"" + objectName
              + "\" is larger than the 1 MiB a Secret can hold");
        }
        contents.put(objectName, Files.readAllBytes(file));
      } catch (IOException e) {
        throw cannotBuild(source, "cannot read the file matching objectName \"" + objectName + "\" ("
            + e.getClass().getSimpleName() + ")");
      }
    }
    return SecretProjection.project(source.spc(), source.object(), contents);
  }

  private static DriverException cannotBuild(Mount source, String why) {
    return new DriverException(FailureKind.SPC_INVALID, "cannot build Secret " + source.spc().namespace() + "/"
        + SecretProjection.secretName(source.object()) + " from SecretProviderClass " + source.spc().name()
        + ": " + why);
  }
}
