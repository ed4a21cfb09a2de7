package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.fs.TargetDirCleaner;
import io.sscsi.fs.TargetDirectory;
import io.sscsi.fs.TargetOwnership;
import io.sscsi.provider.ProviderMountRequest;
import io.sscsi.provider.ProviderMountResult;
import io.sscsi.provider.ProviderName;
import io.sscsi.status.PodStatus;
import io.sscsi.status.PodStatusStore;
import io.sscsi.spc.ProviderClass;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The steps of one volume's workflows, each a single task on the blocking dispatcher around at
 * most one provider call: publish or refresh = (class lookup, target directory, tmpfs mount) ->
 * provider call -> (payload write, status write); learning an adopted volume's class; unpublish.
 * It holds no state: the VolumeActor that runs it owns the result and serialises calls for its
 * target. Failures come back as {@link Result.Failed}, naming the class's provider once it is known.
 *
 * <p>Every step works on the target's real path ({@link TargetDirectory}: no symbolic link below
 * kubelet's pods directory) and checks what the mount table says is there ({@link TargetOwnership},
 * one read per step) before it writes or deletes anything: a foreign mount or mounts nested inside
 * are refused (TARGET_NOT_OURS) and left as they are. A failed publish leaves nothing behind that it
 * created: the tmpfs it mounted is unmounted and the directory it created is removed, so no
 * half-written volume is ever visible. A first publish that finds our tmpfs without a payload (a
 * publish cut by a crash) takes it over, and undoes it on failure as if it had mounted it itself.
 */
final class PublishWorkflow {
  private static final TargetDirCleaner CLEANER = new TargetDirCleaner();
  private final VolumeDeps deps;

  PublishWorkflow(VolumeDeps deps) {
    this.deps = deps;
  }

  /** How a publish or refresh ended. */
  sealed interface Result {
    /** The function for this outcome, applied to it. */
    <R> R fold(Function<Fetched, R> fetched, Function<Failed, R> failed);

    /** A workflow future's end as a result: an exception it completed with is a failure without a provider. */
    static Result of(Result result, Throwable failure) {
      return failure == null ? result : new Failed(DriverException.of(failure), "");
    }

    /**
     * The provider answered and the content is written: the volume now, how many files it has,
     * whether they changed on disk, the status object still to write when the API server failed
     * (the files are correct, so the publish succeeds and the VolumeActor retries the status), and
     * whether this refresh found the pod gone (its status object was not written again).
     */
    record Fetched(MountedVolume volume, int files, boolean contentChanged, Optional<PodStatus> pendingStatus,
        boolean podFoundGone) implements Result {
      @Override
      public <R> R fold(Function<Fetched, R> fetched, Function<Failed, R> failed) {
        return fetched.apply(this);
      }
    }

    /** It failed; {@code provider} is the class's provider once the class was read, else "". */
    record Failed(DriverException error, String provider) implements Result {
      @Override
      public <R> R fold(Function<Fetched, R> fetched, Function<Failed, R> failed) {
        return failed.apply(this);
      }
    }
  }

  /**
   * What the first step did to the target (its real path), so that a failure can undo exactly that:
   * the directory it created, the tmpfs it mounted, or a cut publish's empty tmpfs it took over.
   */
  private record Prepared(ProviderClass spc, ProviderName provider, Path target, boolean createdDir,
      boolean mountedNow, boolean tookOverCut, Optional<String> secretRef, ProviderMountRequest call) {}

  /** A failure of the first step, with the provider label when the class was read. */
  private static final class PrepareFailed extends RuntimeException {
    final String provider;

    PrepareFailed(DriverException cause, String provider) {
      super(cause);
      this.provider = provider;
    }
  }

  /**
   * Fetches and writes the volume's content: a first publish when {@code previous} is empty, else
   * a refresh that sends the current object versions and rewrites nothing that did not change (the
   * status object is written only when versions changed, so an idle refresh costs no API write).
   *
   * @param providerDeadline when the provider call must have been answered
   */
  CompletionStage<Result> run(PublishRequest request, Optional<MountedVolume> previous, Instant providerDeadline) {
    CompletableFuture<Result> result = new CompletableFuture<>();
    deps.blocking().execute(() -> {
      Prepared prepared;
      try {
        prepared = prepare(request, previous);
      } catch (PrepareFailed e) {
        result.complete(new Result.Failed((DriverException) e.getCause(), e.provider));
        return;
      } catch (RuntimeException e) {
        result.complete(new Result.Failed(DriverException.of(e), ""));
        return;
      }
      // the answer arrives on the blocking dispatcher (ProviderCalls): the write continues on that thread
      deps.providers().mount(prepared.provider(), prepared.call(), providerDeadline)
          .whenComplete((fetched, failure) -> result.complete(
              failure == null ? write(request, prepared, previous, fetched) : undo(prepared, failure)));
    });
    return result;
  }

  /**
   * Reads what an adopted volume's status object does not say: its class (and so its provider and
   * parameters) and the pod's nodePublishSecretRef. Blocking work, one task.
   */
  CompletionStage<MountedVolume> learn(AdoptedVolume adopted, PublishRequest request) {
    return CompletableFuture.supplyAsync(() -> {
      ProviderClass spc = deps.classes().get(request.podNamespace(), request.className());
      return MountedVolume.learned(adopted, request, spc, ProviderName.of(spc), secretRefOf(request));
    }, deps.blocking());
  }

  /**
   * Removes the volume and its status object. For an adopted volume it also reads the class (best
   * effort) and returns it, so that Secret sync can release the pod's ownership of its Secrets.
   */
  CompletionStage<Optional<ProviderClass>> unpublish(Path target, VolumeState before) {
    return CompletableFuture.supplyAsync(() -> {
      CLEANER.cleanup(realTarget(target), deps.mounter());
      if (before instanceof VolumeState.Mounted mounted) {
        PublishRequest r = mounted.volume().request();
        deleteStatus(r.podNamespace(), PodStatus.podStatusName(r.podName(), r.podNamespace(), r.className()));
        return Optional.of(mounted.volume().spc());
      }
      if (before instanceof VolumeState.Adopted adopted) {
        PodStatus s = adopted.volume().status();
        deleteStatus(s.podNamespace(), s.objectName());
        return readClass(s.podNamespace(), s.className());
      }
      return Optional.<ProviderClass>empty();
    }, deps.blocking());
  }

  private void deleteStatus(String namespace, String name) {
    try {
      deps.statuses().delete(namespace, name);
    } catch (DriverException e) {
      // the pod owns the status object, so garbage collection removes it; unpublish still succeeded
    }
  }

  private Optional<ProviderClass> readClass(String namespace, String name) {
    try {
      return Optional.of(deps.classes().get(namespace, name));
    } catch (DriverException e) {
      return Optional.empty();
    }
  }

  private Optional<String> secretRefOf(PublishRequest request) {
    return request.secrets().isEmpty() ? Optional.empty()
        : deps.publishSecrets().refOf(request.podNamespace(), request.podName(), request.className());
  }

  /**
   * The target first, then the class: a target that already exists is decided ({@link TargetStep})
   * before the class is read, so a cut publish's tmpfs is taken over, and undone, also when the class
   * cannot be read or names no usable provider. A fresh target is created and mounted only after the
   * class was read, so a publish for a missing class touches nothing.
   */
  private Prepared prepare(PublishRequest request, Optional<MountedVolume> previous) {
    Path target;
    Optional<TargetStep> existing;
    try {
      target = realTarget(request.targetPath());
      existing = existingTargetStep(request, target, previous.isEmpty());
    } catch (RuntimeException e) {
      throw new PrepareFailed(DriverException.of(e), "");
    }
    boolean cut = existing.filter(TargetStep.TAKE_OVER_CUT::equals).isPresent();
    ProviderClass spc;
    ProviderName provider;
    try {
      spc = deps.classes().get(request.podNamespace(), request.className());
      provider = providerOf(spc);
    } catch (PrepareFailed e) {
      throw undoCutOnClassFailure(cut, target, e);
    } catch (RuntimeException e) {
      throw undoCutOnClassFailure(cut, target, new PrepareFailed(DriverException.of(e), ""));
    }
    try {
      Optional<String> secretRef = previous.isPresent() ? previous.get().secretRef() : secretRefOf(request);
      Map<String, String> currentVersions = previous.map(MountedVolume::versions).orElse(Map.of());
      ProviderMountRequest call = MountRequests.build(spc, request, currentVersions);
      boolean createdDir = existing.isEmpty() && TargetDirectory.create(target);
      TargetStep step = createdDir ? TargetStep.MOUNT
          : existing.isPresent() ? existing.get() : decideExisting(request, target, previous.isEmpty());
      boolean mountNow = step == TargetStep.MOUNT;
      try {
        if (mountNow) {
          deps.mounter().mountTmpfs(target, deps.settings().tmpfsSizeBytes());
        }
      } catch (RuntimeException e) {
        undo(new Prepared(spc, provider, target, createdDir, false, cut, secretRef, call), e);
        throw e;
      }
      return new Prepared(spc, provider, target, createdDir, mountNow, cut, secretRef, call);
    } catch (RuntimeException e) {
      if (cut) { // the step that failed after the class was read left the cut publish's tmpfs: undo it
        undoCut(target, e);
      }
      throw new PrepareFailed(DriverException.of(e), provider.value());
    }
  }

  /** The class's provider name, checked once; a bad one fails labelled with what the class says. */
  private static ProviderName providerOf(ProviderClass spc) {
    try {
      return ProviderName.of(spc);
    } catch (DriverException e) {
      throw new PrepareFailed(e, spc.provider());
    }
  }

  /**
   * What to do with the target when its directory already exists (one mount table read), empty when
   * it does not (created and mounted once the class is read). A foreign mount or nested mounts are
   * refused here, before the class is read.
   */
  private Optional<TargetStep> existingTargetStep(PublishRequest request, Path target, boolean firstPublish) {
    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return Optional.of(decideExisting(request, target, firstPublish));
  }

  private TargetStep decideExisting(PublishRequest request, Path target, boolean firstPublish) {
    TargetOwnership state = deps.mounter().inspect(target);
    TargetStep step = TargetStep.decide(state, deps.mounter().isVolume(state), firstPublish,
        () -> deps.writer().currentDataDir(target).isPresent());
    if (step == TargetStep.REFUSE) {
      throw new DriverException(FailureKind.TARGET_NOT_OURS, "refusing to publish into "
          + request.targetPath() + ": it holds " + state.describe() + "; nothing was written");
    }
    return step;
  }

  /** A cut publish's tmpfs this publish took over is undone when the class cannot be used. */
  private PrepareFailed undoCutOnClassFailure(boolean cut, Path target, PrepareFailed failure) {
    if (cut) {
      undoCut(target, failure.getCause());
    }
    return failure;
  }

  private void undoCut(Path target, Throwable failure) {
    try {
      CLEANER.cleanup(target, deps.mounter());
    } catch (RuntimeException cleanupFailure) {
      failure.addSuppressed(cleanupFailure);
    }
  }

  /** The target's real path, refused when a symbolic link lies on its way below kubelet's pods directory. */
  private Path realTarget(Path target) {
    return TargetDirectory.resolve(target, Optional.ofNullable(deps.settings().podsDir()));
  }

  /** Writes the payload and, when versions changed, the status object. Blocking. */
  private Result write(PublishRequest request, Prepared prepared, Optional<MountedVolume> previous,
      ProviderMountResult fetched) {
    boolean changed;
    try {
      Path target = prepared.target();
      TargetOwnership state = deps.mounter().inspect(target); // checked before anything is rewritten
      if (!deps.mounter().isVolume(state)) {
        throw new DriverException(FailureKind.TARGET_NOT_OURS, "refusing to write into " + request.targetPath()
            + ": it holds " + state.describe() + "; nothing was written");
      }
      // a tmpfs this publish mounted a moment ago is empty: the writer need not look before it writes
      changed = !fetched.payload().isEmpty() && (prepared.mountedNow()
          ? deps.writer().writeFresh(target, fetched.payload()) : deps.writer().write(target, fetched.payload()));
    } catch (RuntimeException e) {
      return undo(prepared, e);
    }
    PodStatus status = new PodStatus(request.podName(), request.podNamespace(), request.podUid(),
        request.className(), deps.settings().nodeId(), request.targetPath().toString(), fetched.versions());
    Optional<PodStatus> pending = Optional.empty();
    boolean podFoundGone = false;
    if (previous.isEmpty()) {
      pending = writeStatus(status);
    } else if (!previous.get().podGone() && !previous.get().versions().equals(fetched.versions())) {
      StatusOfRefresh written = writeRefreshStatus(status);
      pending = written.pending();
      podFoundGone = written.podGone();
    }
    MountedVolume volume = MountedVolume.fetched(request, prepared.spc(), prepared.provider(), fetched.versions(),
        deps.time().clock().instant(), prepared.secretRef());
    boolean podGone = podFoundGone || previous.filter(MountedVolume::podGone).isPresent();
    return new Result.Fetched(podGone ? volume.ofGonePod() : volume, fetched.payload().size(),
        previous.isEmpty() || changed, pending, podFoundGone);
  }

  /** A refresh's status write: still to write (API failure), or not to write at all (the pod is gone). */
  private record StatusOfRefresh(Optional<PodStatus> pending, boolean podGone) {}

  /** Writes a refresh's status object, never creating one again for a pod that is gone. Blocking. */
  private StatusOfRefresh writeRefreshStatus(PodStatus status) {
    try {
      return new StatusOfRefresh(Optional.empty(),
          deps.statuses().upsertForRefresh(status) == PodStatusStore.RefreshWrite.POD_GONE);
    } catch (DriverException e) {
      return new StatusOfRefresh(Optional.of(status), false);
    }
  }

  /** Writes the status object; on an API failure returns it as still to write. Blocking. */
  Optional<PodStatus> writeStatus(PodStatus status) {
    try {
      deps.statuses().upsert(status);
      return Optional.empty();
    } catch (DriverException e) {
      return Optional.of(status);
    }
  }

  /**
   * Removes what {@code prepare} created or took over (a cut publish's tmpfs is undone as if this
   * publish had mounted it); checks what is mounted there first, so a foreign or nested mount is
   * never emptied. The failure, labelled with the class's provider.
   */
  private Result.Failed undo(Prepared prepared, Throwable failure) {
    DriverException error = DriverException.of(failure);
    try {
      if (prepared.createdDir() || prepared.tookOverCut()) {
        CLEANER.cleanup(prepared.target(), deps.mounter());
      } else if (prepared.mountedNow()) {
        CLEANER.unmountOnly(prepared.target(), deps.mounter());
      }
    } catch (RuntimeException cleanupFailure) {
      error.addSuppressed(cleanupFailure);
    }
    return new Result.Failed(error, prepared.provider().value());
  }
}
