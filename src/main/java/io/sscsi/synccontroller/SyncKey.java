package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** A SecretSync's (and its Secret's) namespace and name: the key of its actor. */
public record SyncKey(String namespace, String name) implements Comparable<SyncKey> {

  public static SyncKey of(HasMetadata object) {
    return new SyncKey(object.getMetadata().getNamespace(), object.getMetadata().getName());
  }

  @Override
  public int compareTo(SyncKey other) {
    return toString().compareTo(other.toString());
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
