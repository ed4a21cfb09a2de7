package io.sscsi.config;

/** The build's version, from the jar manifest; {@code dev} when run from classes. */
public final class SscsiVersion {
  private SscsiVersion() {}

  /** Upstream's {@code --version} output: a JSON object with BuildVersion, GitCommit and BuildDate. */
  public static String json() {
    Package pkg = SscsiVersion.class.getPackage();
    String commit = pkg.getSpecificationVersion() == null ? "" : pkg.getSpecificationVersion();
    return "{\"BuildVersion\":\"" + current() + "\",\"GitCommit\":\"" + commit + "\",\"BuildDate\":\"\"}";
  }

  public static String current() {
    String v = SscsiVersion.class.getPackage().getImplementationVersion();
    return v == null || v.isBlank() ? "dev" : v;
  }
}
