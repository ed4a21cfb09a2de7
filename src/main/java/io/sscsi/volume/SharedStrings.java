package io.sscsi.volume;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Keeps one copy of the strings that many volumes hold equal copies of: every volume's attribute
 * names (kubelet sends fresh copies with each request), its namespace, class name and service
 * account, and the object ids and versions of its content. Ten thousand mounted volumes otherwise
 * hold ten thousand copies of each (BENCHMARKS.md, "Memory per volume"). Values unique to a pod
 * (its name, its uid), long values and the service-account tokens are kept as they came: nothing
 * secret goes into the JVM's string table. Equality is unchanged; only identity is shared.
 */
final class SharedStrings {
  /** Attributes whose values differ per pod (sharing them saves nothing), or that hold tokens. */
  private static final Set<String> PER_POD = Set.of("csi.storage.k8s.io/pod.name", "csi.storage.k8s.io/pod.uid",
      ServiceAccountTokens.KEY);
  /** Longer values are not shared: a DNS name (a namespace, a class) is at most 253 characters. */
  static final int MAX_SHARED_LENGTH = 253;

  private SharedStrings() {}

  /** The one shared copy of {@code s} (short strings only; a longer one is returned as it is). */
  static String of(String s) {
    return s.length() <= MAX_SHARED_LENGTH ? s.intern() : s;
  }

  /** An unmodifiable copy of a request's volume attributes, with shared names and shared values where they repeat. */
  static Map<String, String> attributes(Map<String, String> attributes) {
    Map<String, String> out = new HashMap<>(attributes.size() * 2);
    attributes.forEach((k, v) -> out.put(of(k), PER_POD.contains(k) ? v : of(v)));
    return Map.copyOf(out);
  }

  /** An unmodifiable copy of object id to version, ids and versions shared. */
  static Map<String, String> versions(Map<String, String> versions) {
    Map<String, String> out = new HashMap<>(versions.size() * 2);
    versions.forEach((k, v) -> out.put(of(k), of(v)));
    return Map.copyOf(out);
  }
}
