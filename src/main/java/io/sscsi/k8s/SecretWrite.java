package io.sscsi.k8s;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link KubeSecretWriter#sync} is asked to make true of one Secret.
 *
 * @param namespace the Secret's namespace
 * @param name the Secret's name
 * @param desired its content, labels and annotations; empty when only the owners change (or the
 *     content could not be built): then an absent Secret is not created
 * @param owners the owners this node's mounting pods want on it (added to those on the server)
 * @param gone owners to take off (their pods unpublished); matched by uid, or by name when null
 * @param keepLastOwner a mounting pod's owner is not known yet: never take the last owner off (nor
 *     delete the Secret), so the Secret cannot be garbage-collected before that owner is added
 */
public record SecretWrite(
    String namespace,
    String name,
    Optional<DesiredSecret> desired,
    Set<SecretOwner> owners,
    Set<SecretOwner> gone,
    boolean keepLastOwner) {

  public SecretWrite {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(desired, "desired");
    owners = Set.copyOf(owners);
    gone = Set.copyOf(gone);
    desired.ifPresent(d -> {
      if (!d.namespace().equals(namespace) || !d.name().equals(name)) {
        throw new IllegalArgumentException("desired Secret " + d.namespace() + "/" + d.name()
            + " is not " + namespace + "/" + name);
      }
    });
  }

  /** The Secret as {@code namespace/name}, for messages. */
  public String what() {
    return namespace + "/" + name;
  }
}
