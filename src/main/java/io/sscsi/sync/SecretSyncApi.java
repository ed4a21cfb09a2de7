package io.sscsi.sync;

import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubePodStatusStore;

/**
 * What Secret sync needs of the API server: the connection its writes go through, and the status
 * store the volumes write through (it knows each SecretProviderClassPodStatus's uid, the Secrets' owner).
 */
public record SecretSyncApi(KubeConnection connection, KubePodStatusStore statuses) {}
