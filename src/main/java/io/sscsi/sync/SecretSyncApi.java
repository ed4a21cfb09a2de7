package io.sscsi.sync;

import io.sscsi.k8s.KubeConnection;
import io.sscsi.k8s.KubePodStatusStore;
import io.sscsi.k8s.SecretOwnerPolicy;

/**
 * What Secret sync needs of the API server: the connection its writes go through, the status
 * store the volumes write through (it knows each SecretProviderClassPodStatus's uid and pod), and who
 * owns a synced Secret ({@code --secret-owner}).
 */
public record SecretSyncApi(KubeConnection connection, KubePodStatusStore statuses, SecretOwnerPolicy owners) {}
