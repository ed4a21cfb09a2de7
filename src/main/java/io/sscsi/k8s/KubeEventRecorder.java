package io.sscsi.k8s;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sscsi.pods.PodRef;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events on pods the way upstream's event recorder does for Secret sync: type
 * Warning, source component {@code csi-secrets-store-controller} (host: this node), named
 * {@code <pod>.<hex nanos>}. Best effort: a failure to record is logged at DEBUG and swallowed,
 * never retried. Callers pass messages that name no secret value. Needs RBAC "create" on events.
 * Blocking: call on the blocking dispatcher.
 */
public final class KubeEventRecorder {

  private static final Logger log = LoggerFactory.getLogger(KubeEventRecorder.class);

  /** The event source component, as upstream names it. */
  public static final String COMPONENT = "csi-secrets-store-controller";
  /** The reason of a Secret that could not be built or written, as upstream names it. */
  public static final String FAILED_TO_CREATE_SECRET = "FailedToCreateSecret";
  private static final int MAX_MESSAGE = 1024;

  private final KubernetesClient client;
  private final String host;

  public KubeEventRecorder(KubeConnection connection, String host) {
    this(connection.client(), host);
  }

  KubeEventRecorder(KubernetesClient client, String host) {
    this.client = Objects.requireNonNull(client, "client");
    this.host = host == null ? "" : host;
  }

  /** Records a Warning event with {@code reason} and {@code message} on {@code pod}. */
  public void warnPod(PodRef pod, String reason, String message) {
    Instant now = Instant.now();
    String stamp = now.truncatedTo(ChronoUnit.SECONDS).toString();
    long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    String text = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
    Event event = new EventBuilder()
        .withNewMetadata()
        .withName(pod.name() + "." + Long.toHexString(nanos))
        .withNamespace(pod.namespace())
        .endMetadata()
        .withNewInvolvedObject()
        .withApiVersion("v1")
        .withKind("Pod")
        .withNamespace(pod.namespace())
        .withName(pod.name())
        .withUid(pod.uid())
        .endInvolvedObject()
        .withType("Warning")
        .withReason(reason)
        .withMessage(text)
        .withNewSource(COMPONENT, host.isEmpty() ? null : host)
        .withReportingComponent(COMPONENT)
        .withReportingInstance(host.isEmpty() ? null : host)
        .withFirstTimestamp(stamp)
        .withLastTimestamp(stamp)
        .withCount(1)
        .build();
    try {
      client.v1().events().inNamespace(pod.namespace()).resource(event).create();
    } catch (RuntimeException e) {
      log.debug("could not record event {} on pod {}/{}: HTTP {}", reason, pod.namespace(), pod.name(),
          KubeErrors.code(e));
    }
  }
}
