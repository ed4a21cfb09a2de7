package io.sscsi.k8s;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The Kubernetes Secret one {@code spec.secretObjects[]} entry asks for, built by
 * {@link SecretProjection} from a pod's mounted files: name, type, data (key to raw bytes, not
 * base64), labels and annotations. The data are secret values, so {@link #toString()} names only
 * the keys, and the arrays are copied on the way in and out.
 */
public record DesiredSecret(
    String namespace,
    String name,
    String type,
    Map<String, byte[]> data,
    Map<String, String> labels,
    Map<String, String> annotations) {

  public DesiredSecret {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    TreeMap<String, byte[]> copy = new TreeMap<>();
    data.forEach((k, v) -> copy.put(k, v.clone()));
    data = Collections.unmodifiableMap(copy);
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  /** A copy of the value of {@code key}, or null. */
  public byte[] value(String key) {
    byte[] v = data.get(key);
    return v == null ? null : v.clone();
  }

  @Override
  public Map<String, byte[]> data() {
    TreeMap<String, byte[]> copy = new TreeMap<>();
    data.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  /** The internal map without copying; callers in this package must not modify the arrays. */
  Map<String, byte[]> rawData() {
    return data;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof DesiredSecret other)) {
      return false;
    }
    if (!namespace.equals(other.namespace) || !name.equals(other.name) || !type.equals(other.type)
        || !labels.equals(other.labels) || !annotations.equals(other.annotations)
        || !data.keySet().equals(other.data.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : data.entrySet()) {
      if (!Arrays.equals(e.getValue(), other.data.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(namespace, name, type, labels, annotations);
    for (Map.Entry<String, byte[]> e : data.entrySet()) {
      h = 31 * h + e.getKey().hashCode() * 17 + Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    return "DesiredSecret[" + namespace + "/" + name + ", type=" + type + ", keys=" + data.keySet()
        + ", labels=" + labels + ", annotations=" + annotations.keySet() + "]";
  }
}
