package io.sscsi.sync;

import io.sscsi.pods.PodRef;
import io.sscsi.spc.ProviderClass;

import java.nio.file.Path;

/**
 * Mirrors mounted content into Kubernetes Secrets ({@code spec.secretObjects}). VolumeActors call
 * it after their content changed or went away; calls return at once (the work is asynchronous, its
 * failures are reported as pod events and logs, never as a failed publish).
 */
public interface SecretSync {

  /** Sync switched off (local mode, or no API server). */
  SecretSync DISABLED = new SecretSync() {
    @Override
    public void published(ProviderClass spc, PodRef pod, Path targetPath) {}

    @Override
    public void unpublished(ProviderClass spc, PodRef pod) {}
  };

  /**
   * The volume of {@code pod} at {@code targetPath} now holds content of {@code spc} (first mount or
   * a refresh that changed it): create or update the class's Secrets and own them by this pod's
   * SecretProviderClassPodStatus.
   */
  void published(ProviderClass spc, PodRef pod, Path targetPath);

  /** The pod's volume of {@code spc} was unpublished: it no longer owns the class's Secrets. */
  void unpublished(ProviderClass spc, PodRef pod);
}
