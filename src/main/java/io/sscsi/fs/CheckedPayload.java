package io.sscsi.fs;

import java.util.List;

/**
 * Files that passed {@link PayloadRules}: the only input {@link AtomicWriter#write(java.nio.file.Path,
 * CheckedPayload)} takes, so the rules run once, where the payload arrives, and can never be skipped.
 */
public final class CheckedPayload {
  private final List<PayloadFile> files;

  private CheckedPayload(List<PayloadFile> files) {
    this.files = files;
  }

  /**
   * @throws io.sscsi.errors.DriverException PROVIDER_BAD_PAYLOAD naming the first offending path
   */
  public static CheckedPayload of(List<PayloadFile> files) {
    return new CheckedPayload(List.copyOf(PayloadRules.validate(files)));
  }

  public List<PayloadFile> files() {
    return files;
  }

  public boolean isEmpty() {
    return files.isEmpty();
  }

  public int size() {
    return files.size();
  }

  @Override
  public String toString() {
    return "CheckedPayload[" + files.size() + " files]";
  }
}
