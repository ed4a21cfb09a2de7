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
   * The files as {@link PayloadRules#accept} takes them under {@code policy} (upstream's: modes masked
   * to 0777, the last of duplicate paths; strict: both refused).
   *
   * @throws io.sscsi.errors.DriverException PROVIDER_BAD_PAYLOAD naming the first offending path
   */
  public static CheckedPayload of(List<PayloadFile> files, PayloadRules.Policy policy) {
    return new CheckedPayload(List.copyOf(PayloadRules.accept(files, policy)));
  }

  /** Under the strict rules: for files this driver wrote itself. */
  public static CheckedPayload of(List<PayloadFile> files) {
    return of(files, PayloadRules.Policy.STRICT);
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
