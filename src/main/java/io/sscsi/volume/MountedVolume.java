package io.sscsi.volume;

import java.time.Instant;
import java.util.Map;

/**
 * What a VolumeActor knows about the content it mounted.
 *
 * @param request the publish request that produced it (holds secrets: never log it whole)
 * @param provider the provider that served it
 * @param versions object id to version
 * @param fileCount number of files written
 * @param refreshedAt when the provider last answered for it
 */
public record MountedVolume(
    PublishRequest request, String provider, Map<String, String> versions, int fileCount, Instant refreshedAt) {
  public MountedVolume {
    versions = Map.copyOf(versions);
  }
}
