package io.sscsi.errors;

/**
 * Bounds text the driver did not write before it enters a {@link DriverException} message: a
 * provider's error code or gRPC status message, a SecretProviderClass's provider name. That message
 * becomes the gRPC status kubelet receives, the log lines about the failure, the pod's event and
 * the last error in {@code /volumes}, so bounding it here bounds all four: a 100 KB error code must
 * not become a 100 KB log line. Text longer than {@link #MAX_CHARS} keeps its first {@code MAX_CHARS}
 * characters followed by a marker saying how many were cut. Control characters are left to the
 * log encoders (they escape them), so the status keeps the provider's words.
 */
public final class ForeignText {
  /** 1 KiB of characters: enough for any real error message. */
  public static final int MAX_CHARS = 1024;

  private ForeignText() {}

  public static String bounded(String text) {
    if (text == null || text.length() <= MAX_CHARS) {
      return text;
    }
    int end = MAX_CHARS;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--; // never split a surrogate pair
    }
    return text.substring(0, end) + "...[" + (text.length() - end) + " more characters cut]";
  }
}
