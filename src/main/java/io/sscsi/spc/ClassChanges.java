package io.sscsi.spc;

/** Reports edits of SecretProviderClasses, so volumes mounted from one refresh at once. */
public interface ClassChanges {

  /** No change notifications (classes are read on each use). */
  ClassChanges NONE = listener -> {};

  /** Called with namespace and name whenever a class's spec changes; must not block. */
  interface Listener {
    void changed(String namespace, String name);
  }

  void subscribe(Listener listener);
}
