package io.sscsi.fs;

import java.util.Arrays;
import java.util.Objects;

/**
 * One file a provider asked us to write: a relative path inside the volume, a permission mode
 * (validated by {@link PayloadRules} to be within {@code 0777}) and the raw bytes. The contents
 * are a secret, so {@link #toString()} prints only the path, the mode in octal and the length, and
 * the array is copied on the way in and out so nobody can change a file after validation.
 */
public record PayloadFile(String path, int mode, byte[] contents) {

  public PayloadFile {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(contents, "contents");
    contents = contents.clone();
  }

  /** A copy of the file bytes. */
  @Override
  public byte[] contents() {
    return contents.clone();
  }

  /** The number of content bytes. */
  public int size() {
    return contents.length;
  }

  /** The internal array without a copy; callers in this package must not modify it. */
  byte[] rawContents() {
    return contents;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PayloadFile other
        && mode == other.mode
        && path.equals(other.path)
        && Arrays.equals(contents, other.contents);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * path.hashCode() + mode) + Arrays.hashCode(contents);
  }

  @Override
  public String toString() {
    return "PayloadFile[path="
        + PathText.quote(path)
        + ", mode=0"
        + Integer.toOctalString(mode)
        + ", bytes="
        + contents.length
        + "]";
  }
}
