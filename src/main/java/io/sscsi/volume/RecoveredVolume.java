package io.sscsi.volume;

import java.nio.file.Path;

/** A volume found mounted with a complete payload after a restart, as its VolumeActor starts. */
record RecoveredVolume(Path target, MountedVolume volume) {}
