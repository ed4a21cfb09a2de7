package io.sscsi.config;

/** The build's version, from the jar manifest; {@code dev} when run from classes. */
public final class SscsiVersion {
  private SscsiVersion() {}

  public static String current() {
    String v = SscsiVersion.class.getPackage().getImplementationVersion();
    return v == null || v.isBlank() ? "dev" : v;
  }
}
