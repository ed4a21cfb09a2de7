package io.sscsi.volume;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.fs.TargetDirCleaner;
import io.sscsi.provider.ProviderAttributes;
import io.sscsi.provider.ProviderMountResult;
import io.sscsi.provider.ProviderRegistry;
import io.sscsi.provider.ProviderSockets;
import io.sscsi.spc.PodStatus;
import io.sscsi.spc.ProviderClass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The publish and unpublish steps of one volume, as a pipeline of stages: class lookup, target
 * preparation and tmpfs mount, provider call, payload write, status write. Blocking steps run on
 * the blocking dispatcher; the provider call is an ask to the {@link ProviderRegistry}. It holds
 * no state: the VolumeActor that runs it owns the result and serialises calls for its target.
 *
 * <p>A failed first publish leaves nothing behind: the tmpfs it mounted is unmounted and the
 * directory it created is removed, so no half-written volume is ever visible.
 */
final class PublishWorkflow {
  private static final TargetDirCleaner CLEANER = new TargetDirCleaner();
  private final VolumeDeps deps;

  PublishWorkflow(VolumeDeps deps) {
    this.deps = deps;
  }

  /** What the first stage did to the target, so that a failure can undo exactly that. */
  private record Prepared(ProviderClass spc, boolean createdDir, boolean mountedNow, java.util.Optional<String> secretRef) {}

  /**
   * A finished publish or refresh: the volume now, whether its files changed on disk, and the
   * status object still to write when the API server failed (the files are correct, so the
   * publish succeeds and the VolumeActor retries the status with backoff).
   */
  record Outcome(MountedVolume volume, boolean contentChanged, java.util.Optional<PodStatus> pendingStatus) {}

  /**
   * Fetches and writes the volume's content: a first mount when {@code previous} is null, else a
   * refresh that sends the current object versions and rewrites nothing that did not change (the
   * status object is written only when versions changed, so an idle refresh costs no API write).
   */
  CompletionStage<Outcome> run(PublishRequest request, MountedVolume previous) {
    Path target = request.targetPath();
    return CompletableFuture.supplyAsync(() -> prepare(request, previous), deps.blocking())
        .thenCompose(prepared -> fetchAndWrite(request, prepared, previous)
            .<CompletionStage<Outcome>>handle((outcome, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(outcome);
              }
              return CompletableFuture.supplyAsync(
                  () -> this.<Outcome>undo(target, prepared, failure), deps.blocking());
            })
            .thenCompose(stage -> stage));
  }

  CompletionStage<Void> unpublish(Path target, MountedVolume mounted) {
    return CompletableFuture.runAsync(() -> {
      CLEANER.cleanup(target, deps.mounter());
      if (mounted != null) {
        PublishRequest r = mounted.request();
        try {
          deps.statuses().delete(r.podNamespace(), PodStatus.podStatusName(r.podName(), r.podNamespace(), r.className()));
        } catch (DriverException e) {
          // the pod owns the status object, so garbage collection removes it; unpublish still succeeded
        }
      }
    }, deps.blocking());
  }

  private Prepared prepare(PublishRequest request, MountedVolume previous) {
    ProviderClass spc = deps.classes().get(request.podNamespace(), request.className());
    java.util.Optional<String> secretRef = previous != null ? previous.secretRef()
        : request.secrets().isEmpty() ? java.util.Optional.empty()
        : deps.publishSecrets().refOf(request.podNamespace(), request.podName(), request.className());
    if (!ProviderSockets.validName(spc.provider())) {
      throw new DriverException(FailureKind.SPC_INVALID, "invalid provider \"" + spc.provider()
          + "\" in SecretProviderClass " + spc.namespace() + "/" + spc.name());
    }
    Path target = request.targetPath();
    boolean createdDir = false;
    if (Files.isSymbolicLink(target)) {
      // mount(2) would follow it and put the tmpfs on the link's destination, which unmount
      // (UMOUNT_NOFOLLOW) and cleanup (never following links) would then leave behind.
      throw new DriverException(FailureKind.TARGET_PATH_FAILED,
          "target path " + target + " is a symbolic link: refusing to mount through it");
    }
    try {
      if (!Files.exists(target)) {
        Files.createDirectories(target.getParent());
        Files.createDirectory(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        createdDir = true;
      }
    } catch (IOException e) {
      throw new DriverException(FailureKind.TARGET_PATH_FAILED, "cannot create target path " + target + ": " + e, e);
    }
    boolean mountedNow = false;
    try {
      if (!deps.mounter().isMountPoint(target)) {
        deps.mounter().mountTmpfs(target, deps.settings().tmpfsSizeBytes());
        mountedNow = true;
      }
    } catch (RuntimeException e) {
      undo(target, new Prepared(spc, createdDir, false, secretRef), e);
    }
    return new Prepared(spc, createdDir, mountedNow, secretRef);
  }

  private CompletionStage<Outcome> fetchAndWrite(PublishRequest request, Prepared prepared, MountedVolume previous) {
    ProviderClass spc = prepared.spc();
    Map<String, String> currentVersions = previous == null ? Map.of() : previous.versions();
    CompletionStage<ProviderMountResult> fetched = AskPattern.askWithStatus(
        deps.providers(),
        replyTo -> new ProviderRegistry.Mount(
            spc.provider(), ProviderAttributes.build(spc, request, currentVersions), replyTo),
        deps.settings().providerTimeout(),
        deps.scheduler());
    return fetched.thenApplyAsync(result -> {
      boolean changed = !result.files().isEmpty() && deps.writer().write(request.targetPath(), result.files());
      java.util.Optional<PodStatus> pending = java.util.Optional.empty();
      if (previous == null || !previous.versions().equals(result.versions())) {
        PodStatus status = new PodStatus(request.podName(), request.podNamespace(), request.podUid(),
            request.className(), deps.settings().nodeId(), request.targetPath().toString(), result.versions());
        pending = writeStatus(status);
      }
      MountedVolume volume = MountedVolume.fetched(request, spc, result.versions(), result.files().size(), Instant.now(),
          prepared.secretRef());
      return new Outcome(volume, previous == null || changed, pending);
    }, deps.blocking());
  }

  /** Writes the status object; on an API failure returns it as still to write. Blocking. */
  java.util.Optional<PodStatus> writeStatus(PodStatus status) {
    try {
      deps.statuses().upsert(status);
      return java.util.Optional.empty();
    } catch (DriverException e) {
      return java.util.Optional.of(status);
    }
  }

  /** Removes what {@code prepare} created and rethrows {@code failure}. */
  private <T> T undo(Path target, Prepared prepared, Throwable failure) {
    try {
      if (prepared.mountedNow() || prepared.createdDir()) {
        if (prepared.createdDir()) {
          CLEANER.cleanup(target, deps.mounter());
        } else {
          deps.mounter().unmount(target);
        }
      }
    } catch (RuntimeException cleanupFailure) {
      failure.addSuppressed(cleanupFailure);
    }
    throw DriverException.of(failure);
  }
}
